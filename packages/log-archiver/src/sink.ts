import { type Lsn } from '@ibarchive/parser';
import { type ArchiveIdentity } from './archive-layout.js';
import type { ArchiveEvent } from './events.js';
import type { PendingSegment } from './pending.js';
import type { Compression } from './segment-format.js';
import { writeSegment } from './segment-io.js';

/** Turns pending segments into durable segment files, keeping the hash chain. */
export class SegmentSink {
  written = 0;
  durableLsn: Lsn | undefined;

  constructor(
    private readonly dir: string,
    private readonly identity: ArchiveIdentity,
    private readonly compression: Compression,
    private lastHash: string | undefined,
    private readonly emit: (e: ArchiveEvent) => void,
  ) {}

  /** Writes the pending bytes (if any) as one segment and empties `pending`. */
  async flush(pending: PendingSegment): Promise<void> {
    if (pending.length === 0) return;
    const start = pending.startLsn;
    const end = pending.endLsn;
    const samples = pending.samples.filter((s) => s.lsn > start && s.lsn <= end);
    const seg = await writeSegment(
      this.dir,
      {
        archiveId: this.identity.archiveId,
        originFirstLsn: this.identity.originFirstLsn,
        creator: this.identity.creator,
        logFormat: this.identity.logFormat,
      },
      start,
      pending.bytes(),
      { compression: this.compression, previousHash: this.lastHash, samples },
    );
    this.lastHash = seg.hash;
    this.written++;
    this.durableLsn = end;
    pending.reset(end);
    this.emit({ type: 'segment', file: seg.name, startLsn: start, endLsn: end, logBytes: Number(end - start), storedBytes: seg.header.storedLength });
  }
}
