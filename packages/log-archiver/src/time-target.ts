import { formatLsn, LogGapError, type Lsn, MtrStream, UsageError } from '@ibarchive/parser';
import type { Archive, SegmentInfo } from './archive-reader.js';
import type { TimeSample } from './segment-format.js';

/**
 * Wall-clock time <-> LSN, from the archive's time samples. A sample (t, lsn)
 * says: by time t the archiver had read the server's log up to lsn, so every
 * change below lsn was made at or before t. The changes made at or before T
 * therefore include everything below the greatest sampled lsn with t <= T,
 * and possibly some log after it (the archiver polls, so a sample lags the
 * server by up to one poll interval plus its read). A restore to T uses that
 * greatest sampled lsn, snapped down to an mtr end: it never includes a change
 * made after T, and may miss changes made in the last moments before T (at
 * most the log between it and the next sample).
 */

/** The LSN a restore to a wall-clock time lands on, and how certain that is. */
export interface TimeResolution {
  /** The requested time (ms since the epoch). */
  timeMs: number;
  /** The restore target: an mtr end at or below `before.lsn`. */
  lsn: Lsn;
  /** The sample that decided: the greatest LSN sampled at or before the time. */
  before: TimeSample;
  /** The first sample after the time (undefined if none: the time is the archive's newest sample). */
  after: TimeSample | undefined;
  /** True if `before.lsn` was not an mtr end and was snapped down to `lsn`. */
  snapped: boolean;
}

/**
 * Parses a user's time: `YYYY-MM-DD HH:MM[:SS[.fff]]` (or with `T`) without a
 * zone is local time (the TZ environment variable of the process); with `Z`
 * or `+HH:MM` / `-HH:MM` it is that zone (ISO 8601). Returns ms since the
 * epoch; throws UsageError for anything else.
 */
export function parseTimeSpec(text: string, flag = '--to-time'): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(text.trim());
  if (!m) {
    throw new UsageError(`${flag}: not a time: ${text} (use 'YYYY-MM-DD HH:MM:SS' for local time, or ISO 8601 with Z or an offset)`);
  }
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const s = Number(m[6] ?? 0);
  const ms = Number((m[7] ?? '0').padEnd(3, '0'));
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || s > 60) throw new UsageError(`${flag}: time out of range: ${text}`);
  const zone = m[8];
  let t: number;
  if (zone === undefined) {
    t = new Date(y!, mo! - 1, d!, h!, mi!, s, ms).getTime();
  } else {
    t = Date.UTC(y!, mo! - 1, d!, h!, mi!, s, ms);
    if (zone.toUpperCase() !== 'Z') {
      const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
      const off = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
      t -= z[1] === '+' ? off : -off;
    }
  }
  if (!Number.isFinite(t)) throw new UsageError(`${flag}: time out of range: ${text}`);
  return t;
}

/** Formats ms since the epoch as local time with its offset, e.g. `2026-11-21 14:05:00.250 +01:00`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` +
    `.${p(d.getMilliseconds(), 3)} ${off < 0 ? '-' : '+'}${p(Math.trunc(off / 60))}:${p(off % 60)}`
  );
}

/** All time samples of the archive's segments, in LSN order. */
export function archiveSamples(archive: Archive): TimeSample[] {
  const out: TimeSample[] = [];
  for (const s of archive.segments) for (const x of s.header.samples) out.push(x);
  return out.sort((a, b) => (a.lsn < b.lsn ? -1 : a.lsn > b.lsn ? 1 : a.timeMs - b.timeMs));
}

/**
 * Resolves a wall-clock time to the restore target LSN (see the top of this
 * file). A time before the first sample or after the last one is outside
 * what the archive can vouch for: LogGapError, never a silent "latest".
 */
export async function resolveTime(archive: Archive, timeMs: number): Promise<TimeResolution> {
  const samples = archiveSamples(archive);
  if (samples.length === 0) throw new LogGapError(`archive ${archive.dir} has no time samples: restore by time is impossible, use an LSN`);
  let before: TimeSample | undefined;
  let after: TimeSample | undefined;
  let first = samples[0]!;
  let last = samples[0]!;
  for (const s of samples) {
    if (s.timeMs < first.timeMs) first = s;
    if (s.timeMs > last.timeMs) last = s;
    if (s.timeMs <= timeMs) {
      if (!before || s.lsn > before.lsn) before = s;
    } else if (!after || s.timeMs < after.timeMs) {
      after = s;
    }
  }
  if (!before) {
    throw new LogGapError(
      `time ${formatTime(timeMs)} is before the archive's first time sample (${formatTime(first.timeMs)}, LSN ${formatLsn(first.lsn)})`,
      { file: archive.dir },
    );
  }
  if (!after && timeMs > last.timeMs) {
    throw new LogGapError(
      `time ${formatTime(timeMs)} is after the archive's last time sample (${formatTime(last.timeMs)}, LSN ${formatLsn(last.lsn)}): ` +
        `the archive cannot vouch for changes up to then (is the archiver running and caught up?)`,
      { file: archive.dir },
    );
  }
  const lsn = await snapToMtrEnd(archive, before.lsn);
  return { timeMs, lsn, before, after, snapped: lsn !== before.lsn };
}

/** The greatest mtr end at or below `lsn` within the segment holding it (segments hold whole mtrs). */
export async function snapToMtrEnd(archive: Archive, lsn: Lsn): Promise<Lsn> {
  const seg = archive.segments.find((s) => s.startLsn < lsn && lsn <= s.endLsn) ?? archive.segments.find((s) => s.startLsn === lsn);
  if (!seg) throw new LogGapError(`LSN ${formatLsn(lsn)} is not in any segment of archive ${archive.dir}`, { lsn, file: archive.dir });
  if (lsn === seg.endLsn || lsn === seg.startLsn) return lsn;
  return lastMtrEndAtOrBelow(archive, seg, lsn);
}

async function lastMtrEndAtOrBelow(archive: Archive, seg: SegmentInfo, lsn: Lsn): Promise<Lsn> {
  const { payload } = await archive.readSegment(seg);
  const stream = new MtrStream(seg.startLsn);
  stream.push(payload);
  let best = seg.startLsn;
  for (;;) {
    const r = stream.next();
    if (r.kind !== 'mtr' || r.endLsn > lsn) return best;
    best = r.endLsn;
  }
}

/** A time estimated for an LSN by linear interpolation between the samples around it. */
export interface TimeEstimate {
  timeMs: number;
  /** Bounds: the change at the LSN was made after `notBeforeMs` (if known) and at or before `notAfterMs`. */
  notBeforeMs: number | undefined;
  notAfterMs: number;
}

/**
 * Estimates when the change at `lsn` was made. The sample with the smallest
 * LSN above `lsn` bounds it from above; the one with the greatest LSN at or
 * below bounds it from below. Undefined if no sample lies above `lsn`.
 */
export function estimateTime(samples: TimeSample[], lsn: Lsn): TimeEstimate | undefined {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid]!.lsn <= lsn) lo = mid + 1;
    else hi = mid;
  }
  const above = samples[lo];
  if (!above) return undefined;
  const below = lo > 0 ? samples[lo - 1] : undefined;
  if (!below) return { timeMs: above.timeMs, notBeforeMs: undefined, notAfterMs: above.timeMs };
  const span = Number(above.lsn - below.lsn);
  const frac = span > 0 ? Number(lsn - below.lsn) / span : 1;
  const t = Math.round(below.timeMs + frac * (above.timeMs - below.timeMs));
  return { timeMs: t, notBeforeMs: below.timeMs, notAfterMs: above.timeMs };
}
