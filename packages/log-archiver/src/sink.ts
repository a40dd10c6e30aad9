import { type Lsn } from '@ibarchive/parser';
import { type ArchiveIdentity } from './archive-layout.js';
import type { ArchiveEvent } from './events.js';
import type { PendingSegment } from './pending.js';
import type { Compression } from './segment-format.js';
import { type SegmentIdentity, writeSegment, type WrittenSegment } from './segment-io.js';
import type { SegmentWriterThread } from './segment-writer.js';

/**
 * Turns pending segments into durable segment files, keeping the hash chain.
 * One segment at a time may be in flight (`submit`): it is compressed, hashed
 * and written while the caller assembles the next one. Each segment's header
 * links to the previous file's hash, so a segment starts only after the one
 * before it is written.
 */
export class SegmentSink {
  written = 0;
  /** End of the last segment known durable. */
  durableLsn: Lsn | undefined;
  /** Start LSN of the segment being written, if any: log before it is durable (segments or gap files). */
  inFlightFrom: Lsn | undefined;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly dir: string,
    private readonly identity: ArchiveIdentity,
    private readonly compression: Compression,
    private lastHash: string | undefined,
    private readonly emit: (e: ArchiveEvent) => void,
    /** Writes on this thread when given (the archiver's), else on the caller's. */
    private readonly writer?: SegmentWriterThread | undefined,
  ) {}

  /**
   * Starts writing the pending bytes (if any) as one segment and empties
   * `pending`; returns once the previous segment is durable. A failed write
   * is thrown by the next submit, flush or drain.
   */
  async submit(pending: PendingSegment): Promise<void> {
    await this.drain();
    if (pending.length === 0) return;
    const start = pending.startLsn;
    const end = pending.endLsn;
    const samples = pending.samples.filter((s) => s.lsn > start && s.lsn <= end);
    const payload = pending.handOver();
    this.inFlightFrom = start;
    const id: SegmentIdentity = {
      archiveId: this.identity.archiveId,
      originFirstLsn: this.identity.originFirstLsn,
      creator: this.identity.creator,
      logFormat: this.identity.logFormat,
    };
    const opts = { compression: this.compression, previousHash: this.lastHash, samples, headerRoom: true };
    const written: Promise<WrittenSegment> = this.writer
      ? this.writer.write(this.dir, id, start, payload, opts).then((r) => (pending.giveBack(r.payload), r.segment))
      : writeSegment(this.dir, id, start, payload, opts).then((seg) => (pending.giveBack(payload), seg));
    const job = written.then((seg) => {
      this.lastHash = seg.hash;
      this.written++;
      this.durableLsn = end;
      this.inFlightFrom = undefined;
      this.emit({ type: 'segment', file: seg.name, startLsn: start, endLsn: end, logBytes: Number(end - start), storedBytes: seg.header.storedLength });
    });
    this.inFlight = job.catch((e: unknown) => {
      this.failure = e;
    });
  }

  /** Waits until every submitted segment is durable; throws a failed write. */
  async drain(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    this.inFlight = undefined;
    this.inFlightFrom = undefined;
    if (this.failure !== undefined) {
      const e = this.failure;
      this.failure = undefined;
      throw e;
    }
  }

  /** Writes the pending bytes (if any) as one segment and waits until it (and any before it) is durable. */
  async flush(pending: PendingSegment): Promise<void> {
    await this.submit(pending);
    await this.drain();
  }
}
