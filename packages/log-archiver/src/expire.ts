import { createHash } from 'node:crypto';
import { readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptLogError, formatLsn, type Lsn, parseLsn, RefusedError, UsageError } from '@ibarchive/parser';
import type { Archive } from './archive-reader.js';
import { syncDir, TEMP_PREFIX, writeFileDurable } from './durable.js';

/**
 * Retention. Expire removes a prefix of the archive (segment and gap files
 * whose whole LSN range lies below a cut), never a range in the middle, and
 * cuts only at file boundaries. The archive's start is not stored anywhere
 * that needs updating: readers derive it from the first remaining file
 * (openArchive), so the state stays derivable from the listing alone.
 * archive.json keeps the LSN of the archive's first run.
 *
 * Before removing anything, expire writes `expired.json` (durably): the cut
 * LSN, the names removed and the SHA-256 of the last removed segment, so that
 * verify can still check the hash-chain link of the new first segment. Files
 * go oldest first, each renamed to a `.tmp-` name (which readers ignore) and
 * then unlinked, so a crash at any point leaves a prefix removed, never a
 * hole. The newest segment is never removed: a running archiver reads it on
 * restart to continue the hash chain, and writes only files after it.
 */
export const EXPIRE_FILE = 'expired.json';

/** The last expire's record. */
export interface ExpireRecord {
  cutLsn: Lsn;
  lastRemovedHash: string | undefined;
  removedAt: string;
  removed: string[];
}

/** Reads expired.json; undefined if there is none. */
export async function readExpireRecord(dir: string): Promise<ExpireRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, EXPIRE_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const cut = parseLsn(String(j['cutLsn']));
    if (cut === undefined) throw new Error('cutLsn');
    return {
      cutLsn: cut,
      lastRemovedHash: typeof j['lastRemovedHash'] === 'string' ? j['lastRemovedHash'] : undefined,
      removedAt: String(j['removedAt'] ?? ''),
      removed: Array.isArray(j['removed']) ? (j['removed'] as unknown[]).map(String) : [],
    };
  } catch {
    throw new CorruptLogError('expire record is not valid', { file: join(dir, EXPIRE_FILE) });
  }
}

/** A base backup whose roll-forward to now must stay possible. */
export interface KeptBackup {
  name: string;
  /** LSN the backup's roll-forward starts at (its checkpoint). */
  startLsn: Lsn;
}

/** What to expire. At least one of olderThanMs, beforeLsn, keep must be given. */
export interface ExpireOptions {
  keep: KeptBackup[];
  /** Remove segments whose newest time sample (or file time) is older than now − this. */
  olderThanMs?: number | undefined;
  /** Remove files whose whole range is below this LSN. */
  beforeLsn?: Lsn | undefined;
  nowMs: number;
}

/** One file to remove. */
export interface ExpireItem {
  file: string;
  kind: 'segment' | 'gap';
  from: Lsn;
  to: Lsn;
  bytes: number;
  /** Newest time sample of a segment (ms), if any. */
  newestTimeMs: number | undefined;
}

/** The decision: files to remove (a prefix), the new start, and why the cut is where it is. */
export interface ExpirePlan {
  remove: ExpireItem[];
  /** The archive's start after expiring (the first kept file's start). */
  newStartLsn: Lsn;
  oldStartLsn: Lsn;
  /** Restore targets in [oldStartLsn, newStartLsn) become unreachable; the newest time among removed samples. */
  lostUntilTimeMs: number | undefined;
  /** Why the cut is not further: kept backups, the newest segment. */
  limits: string[];
  bytes: number;
}

/** Decides what expire removes. Throws RefusedError if --before-lsn would remove log a kept backup needs. */
export async function planExpire(archive: Archive, opts: ExpireOptions): Promise<ExpirePlan> {
  if (opts.olderThanMs === undefined && opts.beforeLsn === undefined && opts.keep.length === 0) {
    throw new UsageError('expire: give --older-than, --before-lsn or --keep-backups');
  }
  type Piece = ExpireItem;
  const pieces: Piece[] = [];
  for (const s of archive.segments) {
    let newest: number | undefined;
    for (const x of s.header.samples) newest = Math.max(newest ?? 0, x.timeMs);
    if (newest === undefined && opts.olderThanMs !== undefined) newest = (await stat(s.path)).mtimeMs;
    pieces.push({ file: s.file, kind: 'segment', from: s.startLsn, to: s.endLsn, bytes: s.header.headerLength + s.header.storedLength, newestTimeMs: newest });
  }
  for (const g of archive.gaps) if (g.kind === 'recorded' && g.record) pieces.push({ file: g.record.file, kind: 'gap', from: g.from, to: g.to, bytes: 0, newestTimeMs: undefined });
  pieces.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));

  const limits: string[] = [];
  // Criteria: a file goes only if every given criterion allows it; the prefix ends at the first that stays.
  let n = 0;
  const newestSeg = pieces.map((p) => p.kind).lastIndexOf('segment');
  let keepNeed: { lsn: Lsn; name: string } | undefined;
  for (const k of opts.keep) if (!keepNeed || k.startLsn < keepNeed.lsn) keepNeed = { lsn: k.startLsn, name: k.name };
  if (opts.beforeLsn !== undefined && keepNeed && opts.beforeLsn > keepNeed.lsn) {
    const wouldCut = pieces.filter((p) => p.to <= opts.beforeLsn! && p.to > keepNeed!.lsn);
    if (wouldCut.length > 0) {
      throw new RefusedError(
        `expire --before-lsn ${formatLsn(opts.beforeLsn)} would remove log that backup ${keepNeed.name} needs from LSN ${formatLsn(keepNeed.lsn)} ` +
          `(${wouldCut[0]!.file}); nothing was removed`,
      );
    }
  }
  const threshold = opts.olderThanMs === undefined ? undefined : opts.nowMs - opts.olderThanMs;
  for (; n < pieces.length; n++) {
    const p = pieces[n]!;
    if (opts.beforeLsn !== undefined && p.to > opts.beforeLsn) break;
    if (threshold !== undefined && p.kind === 'segment' && !(p.newestTimeMs! < threshold)) break;
    if (keepNeed && p.to > keepNeed.lsn) {
      limits.push(`backup ${keepNeed.name} needs the log from LSN ${formatLsn(keepNeed.lsn)}`);
      break;
    }
    if (n >= newestSeg) {
      limits.push('the newest segment is never removed (a running archiver continues its hash chain from it)');
      break;
    }
  }
  // A gap record is kept if it ends the removed prefix: it documents where the archive now starts.
  while (n > 0 && pieces[n - 1]!.kind === 'gap') n--;
  const remove = pieces.slice(0, n);
  let lostUntil: number | undefined;
  for (const p of remove) if (p.newestTimeMs !== undefined) lostUntil = Math.max(lostUntil ?? 0, p.newestTimeMs);
  const newStart = pieces[n]?.from ?? archive.endLsn;
  return {
    remove,
    newStartLsn: newStart,
    oldStartLsn: archive.startLsn,
    lostUntilTimeMs: lostUntil,
    limits,
    bytes: remove.reduce((s, p) => s + p.bytes, 0),
  };
}

/** Removes the planned files (oldest first, see the top of this file). */
export async function applyExpire(archive: Archive, plan: ExpirePlan, nowMs: number): Promise<void> {
  if (plan.remove.length === 0) return;
  const dir = archive.dir;
  const lastSeg = [...plan.remove].reverse().find((p) => p.kind === 'segment');
  let lastHash: string | undefined;
  if (lastSeg) lastHash = createHash('sha256').update(await readFile(join(dir, lastSeg.file))).digest('hex');
  const record = {
    format: 'ibarchive-expire',
    version: 1,
    cutLsn: formatLsn(plan.newStartLsn),
    previousStartLsn: formatLsn(plan.oldStartLsn),
    lastRemovedHash: lastHash,
    removedAt: new Date(nowMs).toISOString(),
    removed: plan.remove.map((p) => p.file),
  };
  await writeFileDurable(dir, EXPIRE_FILE, [new TextEncoder().encode(JSON.stringify(record, null, 2) + '\n')]);
  for (const p of plan.remove) {
    const tmp = join(dir, `${TEMP_PREFIX}expired-${p.file}`);
    await rename(join(dir, p.file), tmp);
    await syncDir(dir);
    await unlink(tmp);
  }
  await removeLeftovers(dir);
  await syncDir(dir);
}

/** Removes `.tmp-expired-*` files an interrupted expire left behind. */
async function removeLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(`${TEMP_PREFIX}expired-`)) await unlink(join(dir, name)).catch(() => undefined);
  }
}

/** Parses a duration: `7d`, `12h`, `30m`, `90s`, `2w`, or combinations like `1d12h`. Returns ms. */
export function parseDuration(text: string, flag = '--older-than'): number {
  const t = text.trim();
  const re = /(\d+(?:\.\d+)?)\s*(w|d|h|m|s)/gy;
  const unit: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  let total = 0;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * unit[m[2]!]!;
    at = re.lastIndex;
  }
  if (at !== t.length || at === 0 || !(total > 0)) throw new UsageError(`${flag}: not a duration: ${text} (examples: 7d, 12h, 1d12h, 30m)`);
  return total;
}
