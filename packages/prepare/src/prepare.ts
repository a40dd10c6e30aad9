import { link } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeEmptyLog,
  formatLsn,
  IbarchiveError,
  LogGapError,
  RefusedError,
  type LogEnd,
  type LogSource,
  type Lsn,
  type MtrBatch,
} from '@ibarchive/parser';
import { applyBackupDdl, layoutAfterDdl, listFiles, planBackupDdl } from './backup-ddl.js';
import { BASE_LOG_COPY, inspectBase, type BaseInfo } from './base.js';
import { formatCheckpointsFile } from './checkpoints-file.js';
import { executePlan } from './execute.js';
import { unsupportedFlags } from './fsp.js';
import { JOURNAL_FILE, readJournal } from './journal.js';
import { describeNewerPage, findNewerPage } from './page-scan.js';
import { PageStore, replayJournal } from './page-store.js';
import { MAX_RECORDS_PER_MTR, Planner, SpaceKnowledge } from './plan.js';
import { RECORD_BYTES } from './record-store.js';
import { prefetching } from './prefetch.js';
import { readStitched, type SourceSpan } from './stitch.js';
import { removeIfExists, writeFileAtomic, writeState } from './state.js';
import { describeTablespace, scanTablespaces, type TablespaceScan } from './tablespaces.js';

/** Progress across the whole prepare: `done` of `total` units (log bytes scanned, then applied). */
export interface PrepareProgress {
  readonly phase: 'scan' | 'apply' | 'finish';
  readonly fraction: number;
  readonly lsn: Lsn;
}

export interface PrepareOptions {
  readonly targetDir: string;
  /** Log sources in order of preference (the CLI opens them); stitched by LSN. */
  readonly sources: readonly LogSource[];
  /** Apply exactly the mtrs that end at or before this LSN (default: all available). */
  readonly toLsn?: Lsn | undefined;
  /** Memory for one batch of records (bytes, default 1 GiB). */
  readonly useMemory?: number | undefined;
  /** Page reads in flight (default 32). */
  readonly parallel?: number | undefined;
  /** Dry run: plan and check, change nothing. */
  readonly planOnly?: boolean | undefined;
  readonly onProgress?: ((p: PrepareProgress) => void) | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** What a prepare did (or, with planOnly, would do). */
export interface PrepareResult {
  readonly base: BaseInfo['kind'];
  readonly startLsn: Lsn;
  /** End LSN of the last mtr applied. */
  readonly reachedLsn: Lsn;
  readonly requestedLsn: Lsn | undefined;
  /** End of the log available from the sources. */
  readonly availableEndLsn: Lsn;
  readonly spans: SourceSpan[];
  readonly mtrs: number;
  readonly records: number;
  readonly logBytes: number;
  readonly tablespaces: Array<{ spaceId: number; file: string | undefined; pages: number }>;
  readonly pagesTouched: number;
  readonly batches: number;
  readonly memoryPerBatch: number;
  readonly pagesWritten: number;
  readonly filesExtended: number;
  readonly fileOps: number;
  readonly warnings: string[];
  readonly planOnly: boolean;
}

const DEFAULT_MEMORY = 1 << 30;

type Item = MtrBatch | LogEnd;

/** Pulls mtr batches from a stitched read, keeping the batch that was only partly taken. */
class BatchFeed {
  private pending: MtrBatch | undefined;
  private from = 0;
  end: LogEnd | undefined;
  constructor(private readonly it: AsyncGenerator<Item>) {}

  /**
   * Feeds the next batch (or the rest of a partly taken one) into `plan`.
   * `more`: taken whole; `full`: the plan's store is full, the rest stays
   * pending for the next plan; `end`: the log or the target was reached.
   */
  async feed(plan: Planner, toLsn: Lsn | undefined): Promise<'more' | 'full' | 'end'> {
    if (!this.pending) {
      const next = await this.it.next();
      if (next.done || next.value.kind === 'end') {
        if (!next.done) this.end = next.value as LogEnd;
        return 'end';
      }
      this.pending = next.value;
      this.from = 0;
    }
    const b = this.pending;
    const i = plan.add(b, this.from, toLsn);
    if (i === b.count) {
      this.pending = undefined;
      return 'more';
    }
    this.from = i;
    if (plan.full) return 'full';
    // An mtr ends beyond the target: drain the reader to learn where the log ends.
    await this.drain();
    return 'end';
  }

  private async drain(): Promise<void> {
    for (;;) {
      const next = await this.it.next();
      if (next.done) return;
      if (next.value.kind === 'end') {
        this.end = next.value;
        return;
      }
    }
  }
}

/**
 * Prepares the target directory (redo-format.md 6 and 7.2): applies the log
 * from the base's start LSN to `toLsn` (or the end of the sources), writes the
 * new empty `ib_logfile0`, marks the backup `log-applied` and records the LSN
 * reached. Every refusal happens before anything is changed.
 */
export async function prepare(opts: PrepareOptions): Promise<PrepareResult> {
  const dir = opts.targetDir;
  const sources = opts.sources.map((s) => prefetching(s));
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const base = await inspectBase(dir);
  const start = base.startLsn;
  if (opts.toLsn !== undefined && opts.toLsn < start) {
    throw new RefusedError(
      `target LSN ${formatLsn(opts.toLsn)} is behind the LSN this directory ${base.kind === 'continue' ? 'was already prepared to' : 'starts at'} (${formatLsn(start)})`,
    );
  }
  if (base.kind === 'resume' && opts.toLsn !== undefined && opts.toLsn < base.minTargetLsn) {
    throw new RefusedError(
      `an interrupted prepare of this directory was heading to LSN ${formatLsn(base.minTargetLsn)}; its pages may already be that new, so the target ${formatLsn(opts.toLsn)} cannot be reached`,
    );
  }

  // Complete the page writes of an interrupted run (its journal), before reading any page.
  if (!opts.planOnly && base.kind === 'resume') {
    const journal = await readJournal(dir);
    if (journal) await replayJournal(dir, journal);
    await removeIfExists(join(dir, JOURNAL_FILE));
  }

  const files = await listFiles(dir);
  const ddl = await planBackupDdl(dir, files);
  const scan = await scanTablespaces(dir, files, layoutAfterDdl(files, ddl));
  const ps = scan.pageSize;
  const memory = opts.useMemory ?? DEFAULT_MEMORY;
  // Staged page images and those of the flush group being written take 2 x flushBytes; the rest holds records and log.
  const flushBytes = Math.max(ps * 64, Math.min(64 << 20, Math.floor(memory / 8)));
  const budget = Math.max(1 << 20, memory - 2 * flushBytes);

  // Pre-flight: read the whole needed range (first batch kept), validating every mtr.
  const spans: SourceSpan[] = [];
  const batchBytes = Math.max(1 << 20, Math.min(8 << 20, Math.floor(budget / 8)));
  const ends = new Map<LogSource, Lsn>();
  const feed = new BatchFeed(readStitched(sources, start, { toLsn: opts.toLsn, batchBytes, spans, ends }));
  const capacity = Math.max(MAX_RECORDS_PER_MTR, Math.floor(budget / RECORD_BYTES));
  const first = new Planner(new SpaceKnowledge(), { pageSize: ps }, true, capacity);
  const rest = new Planner(new SpaceKnowledge(), { pageSize: ps }, false);
  const span = Number((opts.toLsn ?? base.baseEndLsn ?? start + 1n) - start) || 1;
  let st: 'more' | 'full' | 'end' = 'more';
  while (st === 'more' && first.store.memoryBytes() < budget) {
    st = await feed.feed(first, opts.toLsn);
    opts.onProgress?.({ phase: 'scan', fraction: progressOf(first.reachedLsn, start, span) * 0.3, lsn: first.reachedLsn ?? start });
  }
  const multiBatch = st !== 'end';
  if (multiBatch) {
    while ((await feed.feed(rest, opts.toLsn)) !== 'end') {
      opts.onProgress?.({ phase: 'scan', fraction: progressOf(rest.reachedLsn, start, span) * 0.3, lsn: rest.reachedLsn ?? start });
    }
  }
  const available = feed.end?.endLsn ?? rest.reachedLsn ?? first.reachedLsn ?? start;
  const reached = rest.reachedLsn ?? first.reachedLsn ?? start;
  if (opts.toLsn !== undefined && available < opts.toLsn && feed.end?.reason !== 'to-lsn') {
    throw new LogGapError(
      `target LSN ${formatLsn(opts.toLsn)} is beyond the available log, which ends at LSN ${formatLsn(available)}` +
        (feed.end ? ` (${feed.end.file}, offset 0x${feed.end.offset.toString(16)}: ${feed.end.reason})` : ''),
    );
  }
  if (base.kind === 'mariadb-backup' && base.baseEndLsn !== undefined && feed.end?.reason !== 'to-lsn' && available < base.baseEndLsn && (opts.toLsn === undefined || opts.toLsn > available)) {
    throw new LogGapError(
      `the log available ends at LSN ${formatLsn(available)}, before the end of the backup's own log (${formatLsn(base.baseEndLsn)})`,
    );
  }

  // New tablespaces must not bring unsupported formats either.
  for (const k of [first.knowledge, rest.knowledge]) {
    for (const [id, flags] of k.fspFlags) {
      if (first.knowledge.deleted.has(id) || rest.knowledge.deleted.has(id)) continue;
      const why = unsupportedFlags(flags);
      if (why) throw new RefusedError(`${describeTablespace(k.names.get(id)?.replace(/^\.\//, '') ?? `space ${id}`)} is ${why}; prepare does not support it`);
    }
  }

  // No page of the base may be newer than the LSN reached.
  const limit = base.kind === 'continue' ? base.startLsn : reached;
  if (base.kind !== 'mariadb-backup' || base.baseEndLsn === undefined || reached < base.baseEndLsn) {
    const newer = await findNewerPage(dir, scan, limit);
    if (newer) {
      throw new RefusedError(
        base.kind === 'continue'
          ? `${describeNewerPage(newer)}, beyond the LSN ${formatLsn(limit)} this directory was prepared to: a server was started on it since`
          : `${describeNewerPage(newer)}, newer than the target LSN ${formatLsn(reached)}: the base cannot be prepared to that point`,
      );
    }
  }

  const firstMem = first.store.memoryBytes();
  const totalPages = first.pageCount() + rest.touchedPages;
  const summary = {
    base: base.kind,
    startLsn: start,
    reachedLsn: reached,
    requestedLsn: opts.toLsn,
    availableEndLsn: available,
    spans,
    mtrs: first.mtrs + rest.mtrs,
    records: first.records + rest.records,
    logBytes: first.logBytes + rest.logBytes,
    tablespaces: tablespaceSummary(first, rest, scan),
    pagesTouched: totalPages,
    batches: multiBatch ? 1 + Math.ceil((rest.logBytes / Math.max(1, first.logBytes)) * 1) : 1,
    memoryPerBatch: firstMem,
    fileOps: first.fileOps.length + rest.fileOps.length,
    warnings,
  };
  if (opts.planOnly) return { ...summary, pagesWritten: 0, filesExtended: 0, planOnly: true };

  // From here on the directory changes.
  await writeState(dir, {
    status: 'in-progress',
    baseStartLsn: base.state?.baseStartLsn ?? formatLsn(base.startLsn),
    startLsn: formatLsn(start),
    targetLsn: formatLsn(reached),
    reachedLsn: formatLsn(start),
  });
  if (base.kind === 'mariadb-backup') {
    await removeIfExists(join(dir, BASE_LOG_COPY));
    await link(join(dir, 'ib_logfile0'), join(dir, BASE_LOG_COPY));
  }
  await applyBackupDdl(dir, ddl);
  const liveScan = await scanTablespaces(dir, await listFiles(dir), layoutAfterDdl(await listFiles(dir), []));
  const store = new PageStore(dir, ps, liveScan);
  const execOpts = {
    flushBytes,
    readAhead: Math.max(1, opts.parallel ?? 32),
    onWarning: warn,
    flags: new Map<number, number>(),
  };
  let batches = 0;
  let filesExtended = 0;
  let plan = first;
  const applySpan = Number(reached - start) || 1;
  let pendingTail: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      batches++;
      const from = plan.firstLsn ?? start;
      const to = plan.reachedLsn ?? start;
      const stats = await executePlan(plan, store, {
        ...execOpts,
        leaveTail: true,
        onProgress: (done, total) => {
          const lsn = Number(from - start) + (Number(to - from) * done) / Math.max(1, total);
          opts.onProgress?.({ phase: 'apply', fraction: 0.3 + 0.65 * (lsn / applySpan), lsn: start + BigInt(Math.floor(lsn)) });
        },
      });
      pendingTail = stats.tail;
      if (plan.reachedLsn === undefined && reached > start) {
        await stats.tail;
        throw new IbarchiveError('internal', `batch ${batches} took no mtr at LSN ${formatLsn(from)}`);
      }
      const rows = plan.store.release();
      if (plan.reachedLsn === undefined || plan.reachedLsn >= reached) {
        await stats.tail;
        filesExtended += stats.filesExtended;
        break;
      }
      // Next batch: re-read from where this one ended (only log reads while the last pages are written).
      const next = new Planner(plan.knowledge, { pageSize: ps }, true, capacity, rows);
      const f2 = new BatchFeed(readStitched(sources, plan.reachedLsn, { toLsn: opts.toLsn, batchBytes, ends }));
      let st2: 'more' | 'full' | 'end' = 'more';
      while (st2 === 'more' && next.store.memoryBytes() < budget && (next.reachedLsn ?? 0n) < reached) st2 = await f2.feed(next, reached);
      await stats.tail;
      filesExtended += stats.filesExtended;
      if (next.mtrs === 0) throw new IbarchiveError('internal', `the log from LSN ${formatLsn(plan.reachedLsn)} could not be read again`);
      plan = next;
    }
  } finally {
    await pendingTail.catch(() => {});
    await store.close();
  }
  opts.onProgress?.({ phase: 'finish', fraction: 0.97, lsn: reached });

  // The new log, the backup's checkpoints file, then our state: the order a re-run relies on.
  await writeFileAtomic(dir, 'ib_logfile0', encodeEmptyLog(reached));
  if (base.checkpoints && base.checkpoints.backupType !== 'log-applied') {
    await writeFileAtomic(dir, base.checkpoints.name, formatCheckpointsFile(base.checkpoints, { backup_type: 'log-applied' }));
  }
  await writeState(dir, {
    status: 'done',
    baseStartLsn: base.state?.baseStartLsn ?? formatLsn(base.startLsn),
    startLsn: formatLsn(start),
    targetLsn: formatLsn(reached),
    reachedLsn: formatLsn(reached),
  });
  await removeIfExists(join(dir, BASE_LOG_COPY));
  await removeIfExists(join(dir, JOURNAL_FILE));
  opts.onProgress?.({ phase: 'finish', fraction: 1, lsn: reached });
  return { ...summary, batches, pagesWritten: store.pagesWritten, filesExtended, planOnly: false };
}

function progressOf(lsn: Lsn | undefined, start: Lsn, span: number): number {
  if (lsn === undefined) return 0;
  return Math.min(1, Number(lsn - start) / span);
}

function tablespaceSummary(first: Planner, rest: Planner, scan: TablespaceScan): PrepareResult['tablespaces'] {
  const counts = new Map<number, number>();
  for (const [id, pages] of first.store.spaces) counts.set(id, pages.length);
  for (const [id, n] of rest.touched) counts.set(id, Math.max(counts.get(id) ?? 0, n));
  const names = (id: number) =>
    scan.byId.get(id)?.path ?? first.knowledge.names.get(id)?.replace(/^\.\//, '') ?? rest.knowledge.names.get(id)?.replace(/^\.\//, '');
  return [...counts.keys()].sort((a, b) => a - b).map((id) => ({ spaceId: id, file: names(id), pages: counts.get(id)! }));
}
