import { Worker } from 'node:worker_threads';
import type { Lsn } from '../lsn.js';
import { type LogEnd, type MtrBatch, type MtrIndex, type ReadMtrOptions, readMtrBatches } from '../mtr.js';
import type { LogSource } from '../source.js';
import type { FrameWindow, FramedWindow } from './window-framer.js';

/**
 * readMtrBatches with `worker: true`. This thread reads the log in
 * consecutive windows of `batchBytes` and sends each to a worker thread
 * (frame-worker.ts), which frames and checksums it with the same scanMtr and
 * sends back batches. Up to DEPTH windows are with the worker at any time, so
 * it frames the next window while the caller decodes the batch it was given.
 * Where the worker stops (the first mtr that is not whole and valid, or a
 * read that failed) this thread continues with the single-thread reader from
 * the LSN after the last mtr yielded: end reasons, the re-read of torn reads
 * and the typed mid-log corruption errors come from that one implementation.
 */

/** Windows sent to the worker and not yet returned. */
const DEPTH = 2;
const WORKER_URL = new URL('./frame-worker.js', import.meta.url);

export async function* readMtrBatchesInWorker(
  source: LogSource,
  fromLsn: Lsn,
  options: ReadMtrOptions,
): AsyncGenerator<MtrBatch | LogEnd> {
  const batchBytes = Math.max(options.batchBytes ?? 8 << 20, 4096);
  const toLsn = options.toLsn;
  let first: Uint8Array | undefined;
  try {
    first = await source.read(fromLsn, batchBytes);
  } catch {
    first = undefined;
  }
  if (first === undefined || first.length < batchBytes) {
    // One window holds all there is (or the read failed): a worker would only add its start-up time.
    yield* readMtrBatches(source, fromLsn, { toLsn, batchBytes });
    return;
  }
  // No inherited node flags: some (e.g. --input-type) would stop the worker file from loading.
  const inbox = new Inbox(new Worker(WORKER_URL, { workerData: { toLsn }, execArgv: [] }));
  /** LSN after the last mtr yielded: where the single-thread reader takes over. */
  let resume = fromLsn;
  let next = fromLsn;
  let inFlight = 0;
  let lastSent = false;
  const reuse = options.reuseWindows === true;
  /** Window buffers (batchBytes long) and index arrays whose batches are done. */
  const windows: ArrayBuffer[] = [];
  const indexes: MtrIndex[] = [];
  const send = async (): Promise<void> => {
    let bytes: Uint8Array;
    try {
      bytes = first ?? (await source.read(next, batchBytes));
      first = undefined;
    } catch {
      // The single-thread reader repeats this read at the same point of the log and reports its error.
      lastSent = true;
      return;
    }
    let own: Uint8Array;
    if (bytes.buffer instanceof SharedArrayBuffer || (options.ownedReads === true && spansBuffer(bytes))) {
      own = bytes;
    } else {
      own = new Uint8Array(windows.pop() ?? new ArrayBuffer(batchBytes), 0, bytes.length);
      own.set(bytes);
    }
    const index = indexes.pop();
    const length = bytes.length;
    const w: FrameWindow = {
      bytes: own,
      lsn: next,
      seqBit: source.seqBit(next),
      flip: source.seqFlipAfter(next),
      final: length < batchBytes,
      index,
    };
    const transfer = own.buffer instanceof ArrayBuffer ? [own.buffer] : [];
    if (index) transfer.push(index.starts.buffer as ArrayBuffer, index.recordsEnds.buffer as ArrayBuffer, index.ends.buffer as ArrayBuffer);
    inbox.post(w, transfer);
    inFlight++;
    next += BigInt(length);
    lastSent = w.final;
  };
  try {
    for (;;) {
      while (inFlight < DEPTH && !lastSent) await send();
      if (inFlight === 0) break;
      const framed = await inbox.take();
      inFlight--;
      while (inFlight < DEPTH && !lastSent) await send();
      for (const b of framed.batches) {
        resume = b.lsn + BigInt(b.ends[b.count - 1]!);
        yield b;
      }
      if (reuse) {
        // The caller has resumed: the batches of this window are done with.
        const buf = framed.window.buffer;
        if (buf instanceof ArrayBuffer && buf.byteLength === batchBytes) windows.push(buf);
        const last = framed.batches[framed.batches.length - 1];
        if (last !== undefined && last.bytes.buffer === framed.window.buffer) indexes.push(last);
      }
      if (framed.stop === undefined) continue;
      if (framed.toLsnReached) {
        yield { kind: 'end', endLsn: framed.stop, reason: 'to-lsn', ...source.locate(framed.stop) };
        return;
      }
      break;
    }
  } finally {
    await inbox.close();
  }
  yield* readMtrBatches(source, resume, { toLsn, batchBytes });
}

function spansBuffer(a: Uint8Array): boolean {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer;
}

/**
 * The worker's replies in order. The worker is unref'd except while this
 * thread waits for a reply, so a reader that is dropped without being closed
 * does not keep the process alive.
 */
class Inbox {
  private readonly queue: FramedWindow[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (m: FramedWindow) => {
      this.queue.push(m);
      this.notify();
    });
    worker.on('error', (e: Error) => {
      this.failure ??= e;
      this.notify();
    });
    worker.on('exit', (code: number) => {
      if (!this.closed) this.failure ??= new Error(`frame worker exited with code ${code}`);
      this.notify();
    });
  }

  post(w: FrameWindow, transfer: ArrayBuffer[]): void {
    this.worker.postMessage(w, transfer);
  }

  async take(): Promise<FramedWindow> {
    while (this.queue.length === 0) {
      if (this.failure) throw this.failure;
      this.worker.ref();
      try {
        await new Promise<void>((resolve) => (this.wake = resolve));
      } finally {
        this.worker.unref();
      }
    }
    return this.queue.shift()!;
  }

  /** Ends the worker (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.terminate();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
