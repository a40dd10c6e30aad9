import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { formatLsn, linearSource } from '@ibarchive/parser';
import { IDENTITY_FILE } from './archive-layout.js';
import { openArchive } from './archive-reader.js';
import type { OpenedLog } from './open.js';
import { SEGMENT_MAGIC } from './segment-format.js';
import { readSegmentFile } from './segment-io.js';

/** True if `names` (the listing of `dir`) is an archive directory. */
export async function looksLikeArchiveDir(_dir: string, names: Set<string>): Promise<boolean> {
  return names.has(IDENTITY_FILE);
}

/** True if the file starts with the segment magic. */
export async function looksLikeSegment(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = new Uint8Array(8);
    const { bytesRead } = await fh.read(b, 0, 8, 0);
    return bytesRead === 8 && new TextDecoder('latin1').decode(b) === SEGMENT_MAGIC;
  } finally {
    await fh.close();
  }
}

/** Opens an archive directory as one stitched source from its first archived LSN. */
export async function openArchiveSource(dir: string): Promise<OpenedLog> {
  const a = await openArchive(dir);
  const recorded = a.gaps.filter((g) => g.kind === 'recorded').length;
  const missing = a.gaps.length - recorded;
  return {
    kind: 'archive',
    source: a.source(),
    startLsn: a.startLsn,
    endLsn: a.endLsn,
    describe:
      `archive ${dir} (${a.identity.creator}, LSN ${formatLsn(a.startLsn)}..${formatLsn(a.endLsn)}, ` +
      `${a.segments.length} segments, ${recorded} recorded gaps${missing ? `, ${missing} missing ranges` : ''})`,
    close: async () => undefined,
  };
}

/** Opens one segment file (fully verified) as a linear source. */
export async function openSegmentSource(path: string): Promise<OpenedLog> {
  const seg = await readSegmentFile(path, path);
  const h = seg.header;
  return {
    kind: 'segment',
    source: linearSource(basename(path), h.startLsn, seg.payload),
    startLsn: h.startLsn,
    endLsn: h.endLsn,
    describe: `segment ${path} (${h.creator}, LSN ${formatLsn(h.startLsn)}..${formatLsn(h.endLsn)}, ${h.compression})`,
    close: async () => undefined,
  };
}
