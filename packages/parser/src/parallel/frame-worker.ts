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
  const transfer = new Set<ArrayBuffer>([out.window.buffer as ArrayBuffer]);
  for (const b of out.batches) {
    for (const a of [b.bytes, b.starts, b.recordsEnds, b.ends]) transfer.add(a.buffer as ArrayBuffer);
  }
  port.postMessage(out, [...transfer]);
});
