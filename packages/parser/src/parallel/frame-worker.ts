import { parentPort, workerData } from 'node:worker_threads';
import type { Lsn } from '../lsn.js';
import { type FrameWindow, WindowFramer } from './window-framer.js';

/**
 * Worker thread of readMtrBatches with `worker: true`: frames and checksums
 * each window it is sent (WindowFramer) and posts back one FramedWindow per
 * window, transferring the batches' buffers.
 */

const port = parentPort!;
const framer = new WindowFramer((workerData as { toLsn: Lsn | undefined }).toLsn);

port.on('message', (w: FrameWindow) => {
  const out = framer.push(w);
  const arrays = [out.window, ...out.batches.flatMap((b) => [b.bytes, b.starts, b.recordsEnds, b.ends])];
  const transfer = new Set<ArrayBuffer>();
  // A SharedArrayBuffer (a source's shared memory) is shared, not transferred.
  for (const a of arrays) if (a.buffer instanceof ArrayBuffer) transfer.add(a.buffer);
  port.postMessage(out, [...transfer]);
});
