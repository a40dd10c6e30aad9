import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { KnownMtrs, type Lsn } from '@ibarchive/parser';
import type { LookAheadWorkerSetup } from './look-ahead-worker.js';
import { ResetHints } from './reset-hints.js';
import type { LookAheadSetup, ScanChunk } from './reset-scan.js';

/**
 * How far ahead of decoding the look-ahead reads. On the bench most resets
 * that void a record lie 40-100 MB after it; each MiB ahead holds ~70 KiB of
 * mtr boundaries here.
 */
const MAX_LEAD = 256 << 20;

/**
 * The look-ahead of a pass: a thread of its own (look-ahead-worker.ts) reads
 * the log ahead of decoding, framing it without checking CRCs. What it found
 * is taken in here (`update`): the pages later mtrs reset (`hints`), so that
 * decoding neither stores nor applies the records those resets void, and the
 * mtr boundaries (`known`), so that decoding checks each mtr's CRC at them
 * instead of walking its records again. Decoding never waits for it. It only
 * ever informs: decoding checks every CRC and every hint it used
 * (ResetHints), so a wrong, late or missing one costs speed, never
 * correctness.
 */
export class LookAhead {
  readonly hints = new ResetHints();
  readonly known: KnownMtrs;
  /** The look-ahead has read all it can. */
  done = false;
  /** LSN up to which the look-ahead has framed the log and reported its resets. */
  scanned = 0;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly decoded = new Float64Array(new SharedArrayBuffer(8));

  constructor(setup: LookAheadSetup) {
    this.known = new KnownMtrs(setup.knownMtrs);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.decoded[0] = Number(setup.fromLsn);
    const data: LookAheadWorkerSetup = { ...setup, decoded: this.decoded.buffer as SharedArrayBuffer, maxLead: MAX_LEAD, port: port2 };
    this.worker = new Worker(new URL('./look-ahead-worker.js', import.meta.url), { workerData: data, transferList: [port2] });
    // A look-ahead that fails only informs less.
    this.worker.on('error', () => (this.done = true));
    this.worker.on('exit', () => (this.done = true));
  }

  /** Takes in what the look-ahead found so far and tells it where decoding is (`at`; undefined: the start). */
  update(at: Lsn | undefined): void {
    if (at !== undefined) this.decoded[0] = Number(at);
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const c = m.message as ScanChunk | { done: true };
      if ('done' in c) {
        this.done = true;
        continue;
      }
      // Beyond knownMtrs the boundaries are dropped (those mtrs are walked); the resets never are.
      this.known.add(c.base, c.starts, c.ends, c.count);
      if (c.count > 0) this.scanned = Math.max(this.scanned, c.base + c.ends[c.count - 1]!);
      for (let k = 0; k < c.resets; k++) this.hints.add(c.spaces[k]!, c.pages[k]!, c.lsns[k]!);
    }
  }

  /** Waits until the look-ahead has read all it can (PrepareOptions.lookAheadFirst). */
  async readAll(): Promise<void> {
    this.decoded[0] = Infinity;
    for (;;) {
      this.update(undefined);
      if (this.done) return;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}
