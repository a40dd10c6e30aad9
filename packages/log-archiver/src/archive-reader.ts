import { join } from 'node:path';
import { CorruptLogError, formatLsn, IbarchiveError, InputError, LogGapError, type LogSource, type Lsn } from '@ibarchive/parser';
import { type ArchiveIdentity, type GapRecord, listDir, readGap, readIdentity } from './archive-layout.js';
import { parseRangeFileName, type SegmentHeader } from './segment-format.js';
import { type ReadSegment, readSegmentFile, readSegmentHeader } from './segment-io.js';

/** One segment as listed (header only; payload read on demand). */
export interface SegmentInfo {
  file: string;
  path: string;
  startLsn: Lsn;
  endLsn: Lsn;
  header: SegmentHeader;
}

/** A hole in the archive: a recorded gap, or a range with neither segment nor gap record (a missing file). */
export interface ArchiveGap {
  from: Lsn;
  to: Lsn;
  kind: 'recorded' | 'missing';
  record?: GapRecord | undefined;
}

/**
 * A segment file whose header cannot be trusted (bad magic, version, length,
 * header CRC, a range that differs from its name, another archive's id). Its
 * LSN range is the one in its file name.
 */
export interface DamagedSegment {
  file: string;
  path: string;
  startLsn: Lsn;
  endLsn: Lsn;
  error: IbarchiveError;
}

/** Options of openArchive. */
export interface OpenArchiveOptions {
  /**
   * `throw` (default): a damaged segment header makes openArchive throw.
   * `collect`: it is listed in `damaged` and its range is neither coverage nor
   * a gap; reading it through source() throws its error (verify uses this).
   */
  damagedHeaders?: 'throw' | 'collect' | undefined;
}

/** An opened archive directory. */
export interface Archive {
  dir: string;
  identity: ArchiveIdentity;
  segments: SegmentInfo[];
  /** Segments with a damaged header (only with `damagedHeaders: 'collect'`), in LSN order. */
  damaged: DamagedSegment[];
  gaps: ArchiveGap[];
  /** First and end LSN of what the archive describes (segments and gaps). Equal when empty. */
  startLsn: Lsn;
  endLsn: Lsn;
  /** Maximal contiguous ranges of archived log [from, to). */
  coverage: { from: Lsn; to: Lsn }[];
  /** Reads and verifies one segment (cached: the last few stay in memory). */
  readSegment(seg: SegmentInfo): Promise<ReadSegment>;
  /**
   * The archive as one linear LogSource over [startLsn, endLsn): a read that
   * starts inside a gap throws LogGapError naming the gap; a read that reaches
   * a gap returns the bytes before it; a damaged segment throws
   * ChecksumMismatchError / CorruptLogError naming the file and offset.
   */
  source(): LogSource;
  /** Segments overlapping [from, to). */
  segmentsIn(from: Lsn, to: Lsn): SegmentInfo[];
}

/** Opens an archive directory: lists segments and gap records and checks that they tile the LSN range. */
export async function openArchive(dir: string, opts: OpenArchiveOptions = {}): Promise<Archive> {
  const names = await listDir(dir);
  const identity = await readIdentity(dir);
  if (!identity) throw new InputError(`not an ibarchive archive (no archive.json): ${dir}`);
  const segments: SegmentInfo[] = [];
  const damaged: DamagedSegment[] = [];
  const recorded: GapRecord[] = [];
  for (const name of names) {
    const r = parseRangeFileName(name);
    if (!r) continue;
    if (r.kind === 'gap') {
      recorded.push(await readGap(dir, name, r.from, r.to));
      continue;
    }
    const path = join(dir, name);
    try {
      const header = await readListedHeader(dir, name, r.from, r.to, identity.archiveId);
      segments.push({ file: name, path, startLsn: r.from, endLsn: r.to, header });
    } catch (e) {
      if (opts.damagedHeaders !== 'collect' || !(e instanceof IbarchiveError)) throw e;
      damaged.push({ file: name, path, startLsn: r.from, endLsn: r.to, error: e });
    }
  }
  return buildArchive(dir, identity, segments, recorded, damaged);
}

/** Reads a listed segment's header and checks it against its file name and the archive id. */
async function readListedHeader(dir: string, name: string, from: Lsn, to: Lsn, archiveId: string): Promise<SegmentHeader> {
  const header = await readSegmentHeader(dir, name);
  if (header.startLsn !== from || header.endLsn !== to) {
    throw new CorruptLogError(
      `segment header range ${formatLsn(header.startLsn)}..${formatLsn(header.endLsn)} does not match its file name`,
      { file: join(dir, name), offset: 0x10 },
    );
  }
  if (header.archiveId !== archiveId) {
    throw new CorruptLogError(`segment belongs to archive ${header.archiveId}, not ${archiveId}`, {
      file: join(dir, name),
      offset: 0x30,
    });
  }
  return header;
}

function buildArchive(dir: string, identity: ArchiveIdentity, segments: SegmentInfo[], recorded: GapRecord[], damaged: DamagedSegment[]): Archive {
  type Piece = { from: Lsn; to: Lsn; seg?: SegmentInfo; gap?: GapRecord; name: string };
  const pieces: Piece[] = [
    ...segments.map((s) => ({ from: s.startLsn, to: s.endLsn, seg: s, name: s.file })),
    ...recorded.map((g) => ({ from: g.from, to: g.to, gap: g, name: g.file })),
    ...damaged.map((d) => ({ from: d.startLsn, to: d.endLsn, name: d.file })),
  ].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : 1));
  const gaps: ArchiveGap[] = [];
  const coverage: { from: Lsn; to: Lsn }[] = [];
  const start = pieces.length ? pieces[0]!.from : identity.startLsn;
  let pos = start;
  for (const p of pieces) {
    if (p.from < pos) {
      throw new CorruptLogError(`${p.name} overlaps LSN range already archived up to ${formatLsn(pos)}`, {
        file: join(dir, p.name),
        lsn: p.from,
      });
    }
    if (p.from > pos) gaps.push({ from: pos, to: p.from, kind: 'missing' });
    if (p.gap) gaps.push({ from: p.from, to: p.to, kind: 'recorded', record: p.gap });
    if (p.seg && p.to > p.from) {
      const last = coverage[coverage.length - 1];
      if (last && last.to === p.from) last.to = p.to;
      else coverage.push({ from: p.from, to: p.to });
    }
    pos = p.to;
  }
  const end = pos;
  const cache = new Map<string, Promise<ReadSegment>>();
  const readSegment = (seg: SegmentInfo): Promise<ReadSegment> => {
    let hit = cache.get(seg.file);
    if (hit) {
      cache.delete(seg.file);
      cache.set(seg.file, hit);
      return hit;
    }
    hit = readSegmentFile(seg.path, seg.path);
    hit.catch(() => cache.delete(seg.file));
    cache.set(seg.file, hit);
    while (cache.size > 3) cache.delete(cache.keys().next().value as string);
    return hit;
  };
  const segmentsIn = (from: Lsn, to: Lsn) => segments.filter((s) => s.endLsn > from && s.startLsn < to);
  const findSegment = (lsn: Lsn): SegmentInfo | undefined => {
    let lo = 0;
    let hi = segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = segments[mid]!;
      if (lsn < s.startLsn) hi = mid - 1;
      else if (lsn >= s.endLsn) lo = mid + 1;
      else return s;
    }
    return undefined;
  };
  const name = dir;
  const source: LogSource = {
    name,
    firstLsn: start,
    async read(lsn, length) {
      if (lsn < start) {
        throw new LogGapError(`LSN ${formatLsn(lsn)} precedes the archive start ${formatLsn(start)}`, { lsn, file: dir });
      }
      const parts: Uint8Array[] = [];
      let at = lsn;
      let left = length;
      while (left > 0 && at < end) {
        const seg = findSegment(at);
        if (!seg) {
          const bad = damaged.find((d) => at >= d.startLsn && at < d.endLsn);
          if (bad && at === lsn) throw bad.error;
          if (at === lsn) {
            const g = gaps.find((x) => at >= x.from && at < x.to);
            const range = g ? `${formatLsn(g.from)}..${formatLsn(g.to)}` : formatLsn(at);
            throw new LogGapError(`archive has no log for LSN ${range}${g?.kind === 'recorded' ? ' (recorded overrun)' : ''}`, {
              lsn: at,
              file: dir,
            });
          }
          break;
        }
        const { payload } = await readSegment(seg);
        const off = Number(at - seg.startLsn);
        const n = Math.min(left, payload.length - off);
        parts.push(payload.subarray(off, off + n));
        at += BigInt(n);
        left -= n;
      }
      if (parts.length === 1) return parts[0]!;
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    },
    seqBit: () => 1,
    seqFlipAfter: () => undefined,
    locate(lsn) {
      const seg = findSegment(lsn);
      if (!seg) return { file: dir, offset: 0 };
      return { file: seg.path, offset: seg.header.compression === 'none' ? seg.header.headerLength + Number(lsn - seg.startLsn) : Number(lsn - seg.startLsn) };
    },
  };
  return { dir, identity, segments, damaged, gaps, startLsn: start, endLsn: end, coverage, readSegment, source: () => source, segmentsIn };
}
