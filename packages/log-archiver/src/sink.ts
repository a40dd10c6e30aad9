import { type Lsn } from '@ibarchive/parser';
import { type ArchiveIdentity } from './archive-layout.js';
import type { ArchiveEvent } from './events.js';
import type { PendingSegment } from './pending.js';
import type { Compression } from './segment-format.js';
import { type SegmentIdentity, writeSegment, type WrittenSegment } from './segment-io.js';
import type { SegmentWriterThread } from './segment-writer.js';

/** Segments in flight at once on a writer thread: one being written and fsynced while the next is assembled. */
const THREAD_DEPTH = 2;

/**
 * Turns pending segments into durable segment files, keeping the hash chain.
 * Segments are written while the caller assembles the next ones: up to two at
 * once on a writer thread (which chains their hashes and publishes them in
 * order), one at a time on the caller's thread. Segment files appear in LSN
 * order, each only after the one before it is durable.
 */
export class SegmentSink {
  written = 0;
  /** End of the last segment known durable. */
  durableLsn: Lsn | undefined;
  /** Submitted segments not yet settled by submit/drain, oldest first; `durable` once written. */
  private readonly inFlight: { from: Lsn; durable: boolean; done: Promise<void> }[] = [];
  private readonly depth: number;
  private submitted = 0;
  private failure: unknown;

  constructor(
    private readonly dir: string,
    private readonly identity: ArchiveIdentity,
    private readonly compression: Compression,
    private lastHash: string | undefined,
    private readonly emit: (e: ArchiveEvent) => void,
    /** Writes on this thread when given (the archiver's), else on the caller's. */
    private readonly writer?: SegmentWriterThread | undefined,
  ) {
    this.depth = writer ? THREAD_DEPTH : 1;
  }

  /** Start LSN of the oldest segment being written, if any: log before it is durable (segments or gap files). */
  get inFlightFrom(): Lsn | undefined {
    return this.inFlight.find((f) => !f.durable)?.from;
  }

  /**
   * Starts writing the pending bytes (if any) as one segment and empties
   * `pending`; first waits until fewer than the allowed number of segments
   * are in flight. A failed write is thrown by the next submit, flush or drain.
   */
  async submit(pending: PendingSegment): Promise<void> {
    while (this.inFlight.length >= this.depth) await this.settleOldest();
    if (pending.length === 0) return;
    const start = pending.startLsn;
    const end = pending.endLsn;
    const samples = pending.samples.filter((s) => s.lsn > start && s.lsn <= end);
    const payload = pending.handOver();
    const id: SegmentIdentity = {
      archiveId: this.identity.archiveId,
      originFirstLsn: this.identity.originFirstLsn,
      creator: this.identity.creator,
      logFormat: this.identity.logFormat,
    };
    const opts = { compression: this.compression, previousHash: this.lastHash, samples, headerRoom: true };
    // On the thread, every segment after this sink's first links to the thread's previous file.
    const written: Promise<WrittenSegment> = this.writer
      ? this.writer.write(this.dir, id, start, payload, opts, this.submitted > 0).then((r) => (pending.giveBack(r.payload), r.segment))
      : writeSegment(this.dir, id, start, payload, opts).then((seg) => (pending.giveBack(payload), seg));
    this.submitted++;
    const entry = { from: start, durable: false, done: Promise.resolve() };
    const done = written.then((seg) => {
      entry.durable = true;
      this.lastHash = seg.hash;
      this.written++;
      this.durableLsn = end;
      this.emit({ type: 'segment', file: seg.name, startLsn: start, endLsn: end, logBytes: Number(end - start), storedBytes: seg.header.storedLength });
    });
    entry.done = done.catch((e: unknown) => void (this.failure ??= e));
    this.inFlight.push(entry);
  }

  private async settleOldest(): Promise<void> {
    await this.inFlight[0]!.done;
    this.inFlight.shift();
    this.throwFailure();
  }

  private throwFailure(): void {
    if (this.failure === undefined) return;
    const e = this.failure;
    this.failure = undefined;
    throw e;
  }

  /** Waits until every submitted segment is durable; throws a failed write. */
  async drain(): Promise<void> {
    while (this.inFlight.length > 0) {
      await this.inFlight[0]!.done;
      this.inFlight.shift();
    }
    this.throwFailure();
  }

  /** Writes the pending bytes (if any) as one segment and waits until it (and any before it) is durable. */
  async flush(pending: PendingSegment): Promise<void> {
    await this.submit(pending);
    await this.drain();
  }
}
