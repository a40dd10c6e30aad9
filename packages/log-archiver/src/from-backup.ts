import { randomBytes } from 'node:crypto';
import { CorruptLogError, formatLsn, InputError, type LogSource, type Lsn, readMtrBatches, RefusedError } from '@ibarchive/parser';
import { type ArchiveIdentity, writeIdentity } from './archive-layout.js';
import { openArchive } from './archive-reader.js';
import { ensurePrivateDir } from './durable.js';
import type { ArchiveEvent } from './events.js';
import { openLogPath } from './open.js';
import { PendingSegment } from './pending.js';
import { loadArchiveState } from './resume.js';
import type { Compression } from './segment-format.js';
import { SegmentSink } from './sink.js';

export interface IngestBackupOptions {
  /** A mariadb-backup target directory (or its ib_logfile0). */
  backupDir: string;
  archiveDir: string;
  compression?: Compression | undefined;
  segmentSize?: number | undefined;
  onEvent?: ((e: ArchiveEvent) => void) | undefined;
}

/**
 * Copies the redo log of a mariadb-backup backup into the archive, so that a
 * backup taken before archiving began is covered: into an empty archive (which
 * then starts at the backup's checkpoint), before the archive's start (the
 * backup log must reach it), or after its end (the backup log must continue
 * it). Ranges already archived are not written again.
 */
export async function ingestBackup(opts: IngestBackupOptions): Promise<{ ranges: { from: Lsn; to: Lsn }[] }> {
  const opened = await openLogPath(opts.backupDir);
  try {
    if (opened.kind !== 'backup-dir' && opened.kind !== 'backup-log') {
      throw new InputError(`--from-backup needs a mariadb-backup directory or its ib_logfile0, not ${opened.describe}`);
    }
    const src = opened.source;
    const from = opened.startLsn;
    const end = await logEnd(src, from);
    await ensurePrivateDir(opts.archiveDir);
    const state = await loadArchiveState(opts.archiveDir);
    const emit = opts.onEvent ?? (() => undefined);
    const compression = opts.compression ?? 'lz4';
    const segmentSize = opts.segmentSize ?? 64 << 20;
    const ranges: { from: Lsn; to: Lsn }[] = [];
    if (!state) {
      const h = opened.header!;
      const identity: ArchiveIdentity = {
        archiveId: randomBytes(16).toString('hex'),
        createdAt: new Date().toISOString(),
        originFirstLsn: h.firstLsn,
        creator: h.creator,
        logFormat: h.format,
        startLsn: from,
      };
      await writeIdentity(opts.archiveDir, identity);
      await copyRange(src, from, end, new SegmentSink(opts.archiveDir, identity, compression, undefined, emit), segmentSize);
      ranges.push({ from, to: end });
      return { ranges };
    }
    const a = await openArchive(opts.archiveDir);
    if (from < a.startLsn) {
      if (end < a.startLsn) {
        throw new RefusedError(
          `backup log ends at LSN ${formatLsn(end)}, before the archive's start ${formatLsn(a.startLsn)}: ingesting it would leave a hole`,
        );
      }
      await copyRange(src, from, a.startLsn, new SegmentSink(opts.archiveDir, state.identity, compression, undefined, emit), segmentSize);
      ranges.push({ from, to: a.startLsn });
    }
    if (end > state.nextLsn) {
      if (from > state.nextLsn) {
        throw new RefusedError(
          `backup log starts at LSN ${formatLsn(from)}, after the archive's end ${formatLsn(state.nextLsn)}: ingesting it would leave a hole`,
        );
      }
      if (state.lastMtrCrc) {
        const b = await src.read(state.nextLsn - 4n, 4);
        if (Buffer.compare(Buffer.from(b), Buffer.from(state.lastMtrCrc)) !== 0) {
          throw new RefusedError(`backup log does not continue this archive at LSN ${formatLsn(state.nextLsn)} (different mtr CRC)`);
        }
      }
      const sink = new SegmentSink(opts.archiveDir, state.identity, compression, state.lastHash, emit);
      await copyRange(src, state.nextLsn, end, sink, segmentSize);
      ranges.push({ from: state.nextLsn, to: end });
    }
    return { ranges };
  } finally {
    await opened.close();
  }
}

async function logEnd(src: LogSource, from: Lsn): Promise<Lsn> {
  for await (const r of readMtrBatches(src, from)) if (r.kind === 'end') return r.endLsn;
  return from;
}

/** Writes [from, to) of `src` (which must be mtr boundaries) as segments of about segmentSize. */
async function copyRange(src: LogSource, from: Lsn, to: Lsn, sink: SegmentSink, segmentSize: number): Promise<void> {
  const pending = new PendingSegment(from, Math.min(segmentSize, 16 << 20) + (1 << 21));
  while (pending.endLsn < to) {
    const bound = pending.startLsn + BigInt(segmentSize) < to ? pending.startLsn + BigInt(segmentSize) : to;
    for await (const r of readMtrBatches(src, pending.endLsn, { toLsn: bound })) {
      if (r.kind === 'batch') pending.appendBatch(r, Date.now());
      else if (r.reason !== 'to-lsn' && pending.endLsn < bound) {
        throw new CorruptLogError(`backup log ends at LSN ${formatLsn(r.endLsn)}, before ${formatLsn(bound)}`, { lsn: r.endLsn, file: src.name });
      }
    }
    if (pending.endLsn > to) {
      throw new CorruptLogError(`LSN ${formatLsn(to)} is not an mtr boundary in the backup log`, { lsn: to, file: src.name });
    }
    await sink.flush(pending);
  }
}
