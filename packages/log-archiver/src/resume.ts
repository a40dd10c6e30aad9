import { formatLsn, type Lsn } from '@ibarchive/parser';
import { type ArchiveIdentity, listDir, readIdentity } from './archive-layout.js';
import { openArchive } from './archive-reader.js';
import { readSegmentFile } from './segment-io.js';

/** Where an archive stands, derived from its files alone. */
export interface ArchiveState {
  identity: ArchiveIdentity;
  /** Next LSN to archive: the end of the last segment or recorded gap. */
  nextLsn: Lsn;
  /** SHA-256 of the last segment (the next segment's chain link). */
  lastHash: string | undefined;
  /** Last 4 bytes of the last segment's payload: the CRC of the mtr that ends at nextLsn. */
  lastMtrCrc: Uint8Array | undefined;
  segmentCount: number;
}

/**
 * Reads the state of an existing archive (undefined for an empty or new
 * directory). The last segment is read and fully verified; temp files are
 * ignored. A damaged last segment throws (ChecksumMismatchError /
 * CorruptLogError naming it) rather than being silently overwritten.
 */
export async function loadArchiveState(dir: string): Promise<ArchiveState | undefined> {
  await listDir(dir);
  const identity = await readIdentity(dir);
  if (!identity) return undefined;
  const a = await openArchive(dir);
  const last = a.segments[a.segments.length - 1];
  let lastHash: string | undefined;
  let lastMtrCrc: Uint8Array | undefined;
  if (last) {
    const seg = await readSegmentFile(last.path, last.path);
    lastHash = seg.hash;
    if (last.endLsn === a.endLsn && seg.payload.length >= 4) lastMtrCrc = seg.payload.slice(seg.payload.length - 4);
  }
  const nextLsn = a.segments.length || a.gaps.length ? a.endLsn : identity.startLsn;
  if (nextLsn < identity.startLsn) throw new RangeError(`archive end ${formatLsn(nextLsn)} before its start`);
  return { identity, nextLsn, lastHash, lastMtrCrc, segmentCount: a.segments.length };
}
