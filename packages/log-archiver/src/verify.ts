import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { decompressFrameSync } from 'lz4-napi';
import { formatLsn, IbarchiveError, type Lsn } from '@ibarchive/parser';
import { type Archive, type DamagedSegment, openArchive, type SegmentInfo } from './archive-reader.js';
import { readExpireRecord } from './expire.js';
import type { TimeSample } from './segment-format.js';
import { verifySegmentBytes } from './segment-io.js';
import { StreamFramer } from './verify-framer.js';

/**
 * Full verification of an archive: every segment file is read whole and
 * checked (header CRC, length, decompression, payload CRC-32C), the SHA-256
 * hash chain between consecutive segments is recomputed, and the payloads are
 * framed as one log stream (mtrs may cross segment boundaries) checking every
 * mtr's CRC-32C and decoding every record. Problems are collected, not thrown,
 * so one run reports all of them with their LSN ranges.
 */

/** Kinds of problem verify reports. */
export type VerifyProblemKind =
  | 'overrun' // a gap recorded by the archiver: the server overwrote the log before it was archived
  | 'missing' // no segment and no gap record for an LSN range (a deleted or lost file)
  | 'damaged' // a segment file that fails its own checks
  | 'chain' // a segment whose previous-hash link does not match the previous segment file
  | 'mtr' // an mtr or record that fails its CRC or structure inside a sound segment
  | 'truncated'; // log bytes at the end of a contiguous range that do not complete an mtr

/** One problem, with the LSN range it makes unusable. */
export interface VerifyProblem {
  kind: VerifyProblemKind;
  from: Lsn;
  to: Lsn;
  file?: string | undefined;
  offset?: number | undefined;
  message: string;
}

/** Progress of a verify run (bytes of segment files read so far). */
export interface VerifyProgress {
  segmentsDone: number;
  segments: number;
  bytesDone: number;
  bytes: number;
  lsn: Lsn;
}

/** What verify found. */
export interface VerifyReport {
  dir: string;
  startLsn: Lsn;
  endLsn: Lsn;
  segments: number;
  /** Sum of segment file sizes (header + stored payload). */
  fileBytes: number;
  /** Log bytes archived (sum of segment LSN ranges). */
  logBytes: Lsn;
  mtrs: number;
  records: number;
  /** Ranges of log that passed every check, merged. */
  coverage: { from: Lsn; to: Lsn }[];
  /** In LSN order. */
  problems: VerifyProblem[];
  /** Time samples of the sound segments, in LSN order. */
  samples: TimeSample[];
  /** The first segment links to a segment removed by expire: checked against the expire record, if any. */
  chainStart: 'origin' | 'expire-record' | 'unchecked';
}

/** Options of verifyArchive. */
export interface VerifyOptions {
  onProgress?: ((p: VerifyProgress) => void) | undefined;
}

/** Reads and checks every byte of the archive in `dir`. */
export async function verifyArchive(dir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const archive = await openArchive(dir, { damagedHeaders: 'collect' });
  const problems: VerifyProblem[] = [];
  for (const g of archive.gaps) {
    problems.push(
      g.kind === 'recorded'
        ? {
            kind: 'overrun',
            from: g.from,
            to: g.to,
            file: g.record?.file,
            message: `LSN ${formatLsn(g.from)}..${formatLsn(g.to)} is lost: ${g.record?.reason || 'recorded gap'} (recorded ${g.record?.detectedAt ?? '?'})`,
          }
        : {
            kind: 'missing',
            from: g.from,
            to: g.to,
            message: `LSN ${formatLsn(g.from)}..${formatLsn(g.to)} is missing: no segment file and no gap record (a deleted or lost segment)`,
          },
    );
  }
  const framer = new StreamFramer(problems);
  const good: { from: Lsn; to: Lsn }[] = [];
  const samples: TimeSample[] = [];
  const totalBytes = archive.segments.reduce((n, s) => n + s.header.headerLength + s.header.storedLength, 0);
  // Segment files in LSN order, with those whose header is damaged in their named place.
  const entries: (SegmentInfo | DamagedSegment)[] = [...archive.segments, ...archive.damaged].sort((a, b) => (a.startLsn < b.startLsn ? -1 : 1));
  const segmentCount = entries.length;
  let bytesDone = 0;
  let prevHash: string | undefined;
  let prevEnd: Lsn | undefined;
  let prevSound = true;
  let chainStart: VerifyReport['chainStart'] = 'origin';
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if ('error' in entry) {
      reportDamagedHeader(entry, problems);
      if (i === 0) chainStart = 'unchecked';
      prevSound = false;
      framer.breakAt(entry.startLsn);
      opts.onProgress?.({ segmentsDone: i + 1, segments: segmentCount, bytesDone, bytes: totalBytes, lsn: entry.endLsn });
      continue;
    }
    const seg = entry;
    const file = new Uint8Array(await readFile(seg.path));
    bytesDone += file.length;
    const hash = createHash('sha256').update(file).digest('hex');
    // After a missing file the link cannot match, and after a damaged one it need not: both are reported already.
    if (i === 0) chainStart = await checkChainStart(archive, seg, problems);
    else if (prevSound && (prevEnd === seg.startLsn || !archive.gaps.some((g) => g.kind === 'missing' && g.to === seg.startLsn))) {
      if (seg.header.previousHash !== prevHash) {
        problems.push({
          kind: 'chain',
          from: seg.startLsn,
          to: seg.endLsn,
          file: seg.path,
          offset: 0x68,
          message: `hash chain broken at ${seg.file}: it links to ${seg.header.previousHash ?? 'nothing'}, the previous segment file hashes to ${prevHash}`,
        });
      }
    }
    prevHash = hash;
    prevEnd = seg.endLsn;
    const payload = checkSegment(seg, file, problems);
    prevSound = payload !== undefined;
    if (payload === undefined) {
      framer.breakAt(seg.startLsn);
    } else {
      if (framer.nextLsn !== seg.startLsn) framer.breakAt(seg.startLsn);
      framer.push(seg, payload);
      addRange(good, seg.startLsn, seg.endLsn);
      samples.push(...seg.header.samples);
    }
    opts.onProgress?.({ segmentsDone: i + 1, segments: segmentCount, bytesDone, bytes: totalBytes, lsn: seg.endLsn });
  }
  framer.breakAt(archive.endLsn);
  problems.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return {
    dir,
    startLsn: archive.startLsn,
    endLsn: archive.endLsn,
    segments: segmentCount,
    fileBytes: totalBytes,
    logBytes: archive.segments.reduce((n, s) => n + (s.endLsn - s.startLsn), 0n),
    mtrs: framer.mtrs,
    records: framer.records,
    coverage: subtractProblems(good, problems),
    problems,
    samples: samples.sort((a, b) => (a.lsn < b.lsn ? -1 : a.lsn > b.lsn ? 1 : 0)),
    chainStart,
  };
}

/** The first segment links to nothing (the archive's origin) or to a segment removed by expire. */
async function checkChainStart(archive: Archive, seg: SegmentInfo, problems: VerifyProblem[]): Promise<VerifyReport['chainStart']> {
  if (seg.header.previousHash === undefined) return 'origin';
  const rec = await readExpireRecord(archive.dir);
  if (!rec || rec.cutLsn !== seg.startLsn) return 'unchecked';
  if (rec.lastRemovedHash !== seg.header.previousHash) {
    problems.push({
      kind: 'chain',
      from: seg.startLsn,
      to: seg.endLsn,
      file: seg.path,
      offset: 0x68,
      message: `hash chain broken at ${seg.file}: it links to ${seg.header.previousHash}, the expire record says the last removed segment hashed to ${rec.lastRemovedHash}`,
    });
  }
  return 'expire-record';
}

/** A segment whose header fails its checks: its whole named range is unusable. */
function reportDamagedHeader(d: DamagedSegment, problems: VerifyProblem[]): void {
  problems.push({
    kind: 'damaged',
    from: d.startLsn,
    to: d.endLsn,
    file: d.path,
    offset: d.error.offset === undefined ? undefined : Number(d.error.offset),
    message: `segment ${d.file} (LSN ${formatLsn(d.startLsn)}..${formatLsn(d.endLsn)}) is damaged: its header is unusable: ${d.error.message}`,
  });
}

/** Runs the segment's own checks; returns its payload if it can still be framed (to locate a bad mtr). */
function checkSegment(seg: SegmentInfo, file: Uint8Array, problems: VerifyProblem[]): Uint8Array | undefined {
  try {
    return verifySegmentBytes(file, seg.path).payload;
  } catch (e) {
    if (!(e instanceof IbarchiveError)) throw e;
    const raw = rawPayload(seg, file);
    let where = '';
    if (raw) {
      const local: VerifyProblem[] = [];
      const f = new StreamFramer(local);
      f.breakAt(seg.startLsn);
      f.push(seg, raw);
      f.breakAt(seg.endLsn);
      if (local[0]) where = `; first bad mtr: ${local[0].message}`;
    }
    problems.push({
      kind: 'damaged',
      from: seg.startLsn,
      to: seg.endLsn,
      file: seg.path,
      offset: e.offset === undefined ? undefined : Number(e.offset),
      message: `segment ${seg.file} (LSN ${formatLsn(seg.startLsn)}..${formatLsn(seg.endLsn)}) is damaged: ${e.message}${where}`,
    });
    return undefined;
  }
}

function rawPayload(seg: SegmentInfo, file: Uint8Array): Uint8Array | undefined {
  const stored = file.subarray(seg.header.headerLength);
  if (seg.header.compression === 'none') return stored;
  try {
    return new Uint8Array(decompressFrameSync(Buffer.from(stored.buffer, stored.byteOffset, stored.length)));
  } catch {
    return undefined;
  }
}

function addRange(ranges: { from: Lsn; to: Lsn }[], from: Lsn, to: Lsn): void {
  if (to <= from) return;
  const last = ranges[ranges.length - 1];
  if (last && last.to === from) last.to = to;
  else ranges.push({ from, to });
}

function subtractProblems(ranges: { from: Lsn; to: Lsn }[], problems: VerifyProblem[]): { from: Lsn; to: Lsn }[] {
  let out = ranges.map((r) => ({ ...r }));
  for (const p of problems) {
    const next: { from: Lsn; to: Lsn }[] = [];
    for (const r of out) {
      if (p.to <= r.from || p.from >= r.to) next.push(r);
      else {
        if (p.from > r.from) next.push({ from: r.from, to: p.from });
        if (p.to < r.to) next.push({ from: p.to, to: r.to });
      }
    }
    out = next;
  }
  return out;
}

/** Where a base backup needs log from, and the log it carries itself. */
export interface RestoreBase {
  /** LSN the log must be applied from (the backup's checkpoint). */
  startLsn: Lsn;
  /** Lowest target at which the restored data is consistent. */
  minTargetLsn: Lsn;
  /** Ranges of log the backup holds itself (its own ib_logfile0), already verified by the caller. */
  ownLog: { from: Lsn; to: Lsn }[];
}

/** Can the base be restored, to which latest LSN, and to the requested target? */
export interface RestoreAnswer {
  restorable: boolean;
  /** The last LSN reachable by applying contiguous log from the base's start. */
  latestLsn: Lsn | undefined;
  /** Sample time of the greatest sample at or below latestLsn: a restore to this time is possible. */
  latestTimeMs: number | undefined;
  /** Target checks (when a target was given). */
  target: Lsn | undefined;
  targetOk: boolean | undefined;
  reason: string | undefined;
}

/** Answers whether `base` can be rolled forward with the sound log of `report` (plus its own log). */
export function restoreAnswer(report: VerifyReport, base: RestoreBase, target?: Lsn): RestoreAnswer {
  const ranges = [...report.coverage, ...base.ownLog].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  let reach: Lsn | undefined;
  for (const r of ranges) {
    if (reach === undefined) {
      if (r.from <= base.startLsn && r.to >= base.startLsn) reach = r.to;
    } else if (r.from <= reach && r.to > reach) {
      reach = r.to;
    }
  }
  if (reach === undefined) {
    return {
      restorable: false,
      latestLsn: undefined,
      latestTimeMs: undefined,
      target,
      targetOk: target === undefined ? undefined : false,
      reason: `no sound log covers the backup's start LSN ${formatLsn(base.startLsn)} (archive covers ${report.coverage.map((r) => `${formatLsn(r.from)}..${formatLsn(r.to)}`).join(', ') || 'nothing'})`,
    };
  }
  let latestTimeMs: number | undefined;
  for (const s of report.samples) if (s.lsn <= reach && s.lsn >= base.startLsn) latestTimeMs = Math.max(latestTimeMs ?? 0, s.timeMs);
  const restorable = reach >= base.minTargetLsn;
  let targetOk: boolean | undefined;
  let reason: string | undefined = restorable
    ? undefined
    : `log from the backup's start reaches only LSN ${formatLsn(reach)}, below its consistency point ${formatLsn(base.minTargetLsn)}`;
  if (target !== undefined) {
    targetOk = restorable && target >= base.minTargetLsn && target <= reach;
    if (!targetOk && reason === undefined) {
      reason =
        target < base.minTargetLsn
          ? `target LSN ${formatLsn(target)} is before the backup's consistency point ${formatLsn(base.minTargetLsn)}`
          : `target LSN ${formatLsn(target)} is beyond the contiguous log from the backup, which ends at LSN ${formatLsn(reach)}`;
    }
  }
  return { restorable, latestLsn: reach, latestTimeMs, target, targetOk, reason };
}
