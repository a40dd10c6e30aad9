import { workerData, type MessagePort } from 'node:worker_threads';
import { ResetScanner, type LookAheadSetup, type ScanChunk } from './reset-scan.js';

/** What the look-ahead thread is started with (see LookAhead). */
export interface LookAheadWorkerSetup extends LookAheadSetup {
  /** Float64 [0]: the LSN decoding has reached, kept up to date by the decoding thread. */
  readonly decoded: SharedArrayBuffer;
  /** How far ahead of decoding the scan may read. */
  readonly maxLead: number;
  /** Where chunks (ScanChunk) go, then `{ done: true }`. */
  readonly port: MessagePort;
}

/**
 * The look-ahead thread: scans the log (ResetScanner) as fast as it can, up
 * to maxLead ahead of decoding, and posts each step's chunk.
 */
const setup = workerData as LookAheadWorkerSetup;
const decoded = new Float64Array(setup.decoded);
const port = setup.port;

function post(c: ScanChunk): void {
  port.postMessage(c, [c.starts.buffer, c.ends.buffer, c.spaces.buffer, c.pages.buffer, c.lsns.buffer] as ArrayBuffer[]);
}

async function run(): Promise<void> {
  const scanner = await ResetScanner.open(setup);
  if (scanner) {
    while (!scanner.done) {
      if (scanner.pos >= decoded[0]! + setup.maxLead) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      const c = await scanner.step();
      if (c) post(c);
    }
    await scanner.close();
  }
  port.postMessage({ done: true });
}

run().catch(() => port.postMessage({ done: true }));
