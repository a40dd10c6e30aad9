import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatLsn, type Lsn, parseLsn } from '@ibarchive/parser';
import { STATUS_FILE } from './archive-layout.js';
import { type ArchiveGap, openArchive } from './archive-reader.js';
import { TEMP_PREFIX } from './durable.js';
import type { ArchiveEvent } from './events.js';
import { archiveSamples } from './time-target.js';

/**
 * The archiver's status file (status.json): a snapshot for humans and
 * monitoring, rewritten atomically (temp file + rename, no fsync: it is never
 * read for correctness) at most once a second and at every segment, gap and
 * stop. A reader judges it by `updatedAt` (stale when older than a few poll
 * intervals) and by whether `pid` is still alive.
 */
export interface ArchiverStatusFile {
  state: 'running' | 'stopped';
  /** The archiver's process id, as given by the caller (runArchiver's `pid`); absent if none was given. */
  pid: number | undefined;
  startedAt: string;
  updatedAt: string;
  pollIntervalMs: number;
  log: string | undefined;
  archivedLsn: Lsn | undefined;
  durableLsn: Lsn | undefined;
  serverLsn: Lsn | undefined;
  lagBytes: Lsn | undefined;
  lagSeconds: number | undefined;
  headroom: Lsn | undefined;
  capacity: number | undefined;
  lastSegment: string | undefined;
  gapsThisRun: number;
}

/** Keeps status.json fresh from the archiver's events (used by runArchiver). */
export class ArchiverStatusWriter {
  private s: ArchiverStatusFile;
  private lastWrite = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly dir: string,
    opts: { pollIntervalMs: number; pid: number | undefined; now?: (() => number) | undefined },
  ) {
    this.now = opts.now ?? Date.now;
    const t = new Date(this.now()).toISOString();
    const pollIntervalMs = opts.pollIntervalMs;
    this.s = {
      state: 'running',
      pid: opts.pid,
      startedAt: t,
      updatedAt: t,
      pollIntervalMs,
      log: undefined,
      archivedLsn: undefined,
      durableLsn: undefined,
      serverLsn: undefined,
      lagBytes: undefined,
      lagSeconds: undefined,
      headroom: undefined,
      capacity: undefined,
      lastSegment: undefined,
      gapsThisRun: 0,
    };
  }

  /** Feeds one archiver event; writes the file when due. */
  onEvent(e: ArchiveEvent): void {
    let force = false;
    switch (e.type) {
      case 'start':
        this.s.log = e.log;
        this.s.archivedLsn = e.nextLsn;
        force = true;
        break;
      case 'segment':
        this.s.lastSegment = e.file;
        this.s.durableLsn = e.endLsn;
        force = true;
        break;
      case 'progress':
        Object.assign(this.s, {
          archivedLsn: e.archivedLsn,
          durableLsn: e.durableLsn,
          serverLsn: e.serverLsn,
          lagBytes: e.lagBytes,
          lagSeconds: e.lagSeconds,
          headroom: e.headroom,
          capacity: e.capacity,
        });
        break;
      case 'gap':
        this.s.gapsThisRun++;
        force = true;
        break;
      case 'log-changed':
        this.s.log = e.log;
        break;
      case 'stop':
        this.s.state = 'stopped';
        this.s.archivedLsn = e.archivedLsn;
        force = true;
        break;
      default:
        return;
    }
    const t = this.now();
    if (!force && t - this.lastWrite < 1000) return;
    this.lastWrite = t;
    this.s.updatedAt = new Date(t).toISOString();
    const text = JSON.stringify({ format: 'ibarchive-status', version: 1, ...this.s }, (_k, v: unknown) => (typeof v === 'bigint' ? formatLsn(v) : v)) + '\n';
    this.chain = this.chain.then(() => writeAtomic(join(this.dir, STATUS_FILE), text)).catch(() => undefined);
  }

  /** Resolves when every write started so far is done. */
  settled(): Promise<void> {
    return this.chain;
  }
}

/** Writes `path` atomically: a temp file in the same directory renamed over it. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const dir = path.replace(/\/[^/]*$/, '') || '.';
  const tmp = join(dir, `${TEMP_PREFIX}${path.slice(dir.length + 1)}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** What `status` reports about a running (or last) archiver. */
export interface ArchiverState {
  /**
   * running: fresh and its pid alive; stale: pid alive but not updated lately;
   * stopped: it recorded a clean stop; dead: status.json says running but the
   * pid is gone (killed or crashed); unknown: no usable status file or no pid.
   */
  state: 'running' | 'stale' | 'stopped' | 'dead' | 'unknown';
  file: Partial<ArchiverStatusFile> | undefined;
  ageSeconds: number | undefined;
  detail: string;
}

/** Status of an archive directory. */
export interface ArchiveStatus {
  dir: string;
  archiveId: string;
  creator: string;
  createdAt: string;
  startLsn: Lsn;
  endLsn: Lsn;
  /** The contiguous range that reaches the archive's end: restores to "recent" points land here. */
  window: { fromLsn: Lsn; toLsn: Lsn; fromTimeMs: number | undefined; toTimeMs: number | undefined };
  coverage: { from: Lsn; to: Lsn }[];
  gaps: ArchiveGap[];
  segments: number;
  storedBytes: number;
  logBytes: Lsn;
  /** logBytes / storedBytes (1 when empty). */
  compressionRatio: number;
  /** Newest time sample (the last time the archiver saw new log), ms. */
  lastArchivedTimeMs: number | undefined;
  archiver: ArchiverState;
}

/** Options of archiveStatus. */
export interface StatusOptions {
  nowMs: number;
  /** Whether a process id is alive (the CLI checks with signal 0). */
  isAlive: (pid: number) => boolean;
}

/** Reads an archive's listing, headers and status file (no payload is read). */
export async function archiveStatus(dir: string, opts: StatusOptions): Promise<ArchiveStatus> {
  const a = await openArchive(dir);
  const samples = archiveSamples(a);
  const last = a.coverage[a.coverage.length - 1];
  const win = last && last.to === a.endLsn ? last : { from: a.endLsn, to: a.endLsn };
  let fromTime: number | undefined;
  let toTime: number | undefined;
  let newest: number | undefined;
  for (const s of samples) {
    newest = Math.max(newest ?? 0, s.timeMs);
    if (s.lsn < win.from || s.lsn > win.to) continue;
    fromTime = Math.min(fromTime ?? Infinity, s.timeMs);
    toTime = Math.max(toTime ?? 0, s.timeMs);
  }
  const storedBytes = a.segments.reduce((n, s) => n + s.header.headerLength + s.header.storedLength, 0);
  const logBytes = a.segments.reduce((n, s) => n + (s.endLsn - s.startLsn), 0n);
  return {
    dir,
    archiveId: a.identity.archiveId,
    creator: a.identity.creator,
    createdAt: a.identity.createdAt,
    startLsn: a.startLsn,
    endLsn: a.endLsn,
    window: { fromLsn: win.from, toLsn: win.to, fromTimeMs: fromTime, toTimeMs: toTime },
    coverage: a.coverage,
    gaps: a.gaps,
    segments: a.segments.length,
    storedBytes,
    logBytes,
    compressionRatio: storedBytes > 0 ? Number(logBytes) / storedBytes : 1,
    lastArchivedTimeMs: newest,
    archiver: await readArchiverState(dir, opts),
  };
}

/** Reads status.json and judges it: fresh, stale, stopped. */
export async function readArchiverState(dir: string, opts: StatusOptions): Promise<ArchiverState> {
  const path = join(dir, STATUS_FILE);
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'unknown', file: undefined, ageSeconds: undefined, detail: 'no status file: no archiver has run here' };
    return { state: 'unknown', file: undefined, ageSeconds: undefined, detail: `status file unreadable: ${(e as Error).message}` };
  }
  const lsn = (k: string) => (typeof j[k] === 'string' ? parseLsn(j[k] as string) : undefined);
  const num = (k: string) => (typeof j[k] === 'number' ? (j[k] as number) : undefined);
  const file: Partial<ArchiverStatusFile> = {
    state: j['state'] === 'stopped' ? 'stopped' : j['state'] === 'running' ? 'running' : undefined,
    pid: num('pid'),
    startedAt: typeof j['startedAt'] === 'string' ? j['startedAt'] : undefined,
    updatedAt: typeof j['updatedAt'] === 'string' ? j['updatedAt'] : undefined,
    pollIntervalMs: num('pollIntervalMs'),
    log: typeof j['log'] === 'string' ? j['log'] : undefined,
    archivedLsn: lsn('archivedLsn'),
    durableLsn: lsn('durableLsn'),
    serverLsn: lsn('serverLsn'),
    lagBytes: lsn('lagBytes'),
    lagSeconds: num('lagSeconds'),
    headroom: lsn('headroom'),
    capacity: num('capacity'),
    lastSegment: typeof j['lastSegment'] === 'string' ? j['lastSegment'] : undefined,
  };
  let updated = file.updatedAt ? Date.parse(file.updatedAt) : NaN;
  if (!Number.isFinite(updated)) updated = (await stat(path)).mtimeMs;
  const ageSeconds = Math.max(0, (opts.nowMs - updated) / 1000);
  const age = `updated ${ageSeconds.toFixed(1)} s ago`;
  if (file.state === 'stopped') return { state: 'stopped', file, ageSeconds, detail: `archiver${file.pid === undefined ? '' : ` pid ${file.pid}`} stopped cleanly (${age})` };
  if (file.pid === undefined) {
    return { state: 'unknown', file, ageSeconds, detail: `status file has no archiver pid (${age}): the archiver was run without one, so its liveness is unknown` };
  }
  if (!opts.isAlive(file.pid)) return { state: 'dead', file, ageSeconds, detail: `archiver pid ${file.pid} is not running (${age}; it did not stop cleanly)` };
  const staleAfter = Math.max(10, (5 * (file.pollIntervalMs ?? 1000)) / 1000);
  if (ageSeconds > staleAfter) {
    return { state: 'stale', file, ageSeconds, detail: `archiver pid ${file.pid} is alive but has not updated its status for ${ageSeconds.toFixed(0)} s (stale after ${staleAfter} s): hung or stuck?` };
  }
  return { state: 'running', file, ageSeconds, detail: `archiver pid ${file.pid} running (${age})` };
}

/**
 * What makes an archive's status unhealthy (`status` exits 1 when any):
 * a recorded gap or a missing range anywhere in the archive, an archiver that
 * is alive but stale, or one that is dead while status.json says running.
 * One line per problem; empty when healthy.
 */
export function statusProblems(s: ArchiveStatus): string[] {
  const out: string[] = [];
  for (const g of s.gaps) {
    out.push(
      g.kind === 'recorded'
        ? `recorded gap: LSN ${formatLsn(g.from)}..${formatLsn(g.to)} was overwritten before it was archived`
        : `missing range: LSN ${formatLsn(g.from)}..${formatLsn(g.to)} has no segment and no gap file`,
    );
  }
  if (s.archiver.state === 'stale' || s.archiver.state === 'dead') out.push(`archiver ${s.archiver.state}: ${s.archiver.detail}`);
  return out;
}
