import { randomUUID } from 'node:crypto';
import { link, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeEmptyLog,
  formatLsn,
  IbarchiveError,
  InputError,
  LogGapError,
  RefusedError,
  type LogSource,
  type Lsn,
} from '@ibarchive/parser';
import { applyBackupDdl, layoutAfterDdl, listFiles, planBackupDdl } from './backup-ddl.js';
import { BASE_LOG_COPY, inspectBase, type BaseInfo } from './base.js';
import { formatCheckpointsFile } from './checkpoints-file.js';
import { unsupportedFlags } from './fsp.js';
import { FILE_OPS_FILE } from './file-ops-progress.js';
import { JOURNAL_FILES, readJournal } from './journal.js';
import { describeNewerPage, findNewerPage } from './page-scan.js';
import { normalizeLogName, PageStore, replayJournal } from './page-store.js';
import { ApplyPipeline, type PassResult } from './apply-pipeline.js';
import { BatchFeed, runPass, windowSlots } from './passes.js';
import { LOOK_AHEAD_READ_BUFFERS, memoryPlan, readSizes } from './memory-plan.js';
import { LookAhead } from './look-ahead.js';
import type { LookAheadSource } from './reset-scan.js';
import { runFileOps, writePass } from './write-pages.js';
import { Planner, SpaceKnowledge } from './plan.js';
import { prefetching } from './prefetch.js';
import { SPILL_FILE } from './spill-file.js';
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
  /**
   * Log sources in order of preference (the CLI opens them); stitched by LSN.
   * A source may reuse the array of a read for its SOURCE_READ_BUFFERS-th
   * read after it: prepare holds at most that many reads minus one at a time.
   */
  readonly sources: readonly LogSource[];
  /** Apply exactly the mtrs that end at or before this LSN (default: all available). */
  readonly toLsn?: Lsn | undefined;
  /** Memory for log reads, windows of records and the pages being applied (bytes, default 1 GiB; see memoryPlan). */
  readonly useMemory?: number | undefined;
  /** Directory for the scratch file of pages that do not fit in memory (default: the target directory). */
  readonly scratchDir?: string | undefined;
  /** Page writes in flight (default 32). */
  readonly parallel?: number | undefined;
  /** Dry run: plan and check, change nothing. */
  readonly planOnly?: boolean | undefined;
  readonly onProgress?: ((p: PrepareProgress) => void) | undefined;
  readonly onWarning?: ((message: string) => void) | undefined;
  /**
   * The paths `sources` were opened from (openLogPath), in the same order.
   * They are opened again to read ahead (reset-scan.ts) for pages that a
   * later mtr resets: the records before such a reset are void and are then
   * neither stored nor applied; decoding also reuses the mtr boundaries found
   * ahead. Without it records are stored and applied (same result, slower).
   */
  readonly lookAhead?: readonly LookAheadSource[] | undefined;
  /**
   * Let the look-ahead read all it can before the log is decoded, instead
   * of as decoding goes. For tests: its effect then does not depend on how
   * far ahead it happened to be.
   */
  readonly lookAheadFirst?: boolean | undefined;
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
  /** Page records neither stored nor applied because the look-ahead found a later reset of their page. */
  readonly recordsVoidedAhead: number;
  readonly logBytes: number;
  readonly tablespaces: Array<{ spaceId: number; file: string | undefined; pages: number }>;
  readonly pagesTouched: number;
  /** Passes over the log: one, and one more for pages of tablespaces found only later; named for the JSON output. */
  readonly batches: number;
  /** Page memory of one pass (bytes). */
  readonly memoryPerBatch: number;
  /** Evictions of pages to the scratch file when they do not all fit in memory (--plan: pages beyond memory). */
  readonly pagesSpilled: number;
  readonly pagesWritten: number;
  readonly filesExtended: number;
  readonly fileOps: number;
  readonly warnings: string[];
  readonly planOnly: boolean;
}

const DEFAULT_MEMORY = 1 << 30;

/** Share of a pass's progress that is reading and applying (the rest is writing pages). */
const SCAN_SHARE = 0.8;
/**
 * Prepares the target directory (redo-format.md 6 and 7.2): applies the log
 * from the base's start LSN to `toLsn` (or the end of the sources), writes the
 * new empty `ib_logfile0`, marks the backup `log-applied` and records the LSN
 * reached. Every refusal happens before anything is changed.
 */
export async function prepare(opts: PrepareOptions): Promise<PrepareResult> {
  const dir = opts.targetDir;
  const memory = opts.useMemory ?? DEFAULT_MEMORY;
  const sources = opts.sources.map((s) => prefetching(s, readSizes(memory).chunkBytes));
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
    for (const f of JOURNAL_FILES) await removeIfExists(join(dir, f));
  }

  const files = await listFiles(dir);
  const ddl = await planBackupDdl(dir, files);
  const scan = await scanTablespaces(dir, files, layoutAfterDdl(files, ddl));
  const ps = scan.pageSize;
  const { batchBytes, windowRecords, arenaBytes, maxSlots, flushBytes, lookAhead: roomToLookAhead, knownMtrs } = memoryPlan(memory, ps);

  // Pass 1: read the whole needed range, validating every mtr; the apply thread applies it window
  // by window to pages in memory. Nothing on disk changes before every check below has passed.
  const ends = new Map<LogSource, Lsn>();
  // Pages beyond maxSlots go to a scratch file; one left by a killed run is stale.
  const spillPath = await scratchFile(dir, opts.scratchDir);
  // A scratch file a killed run left in the target dir is stale (with --scratch-dir too).
  if (!opts.planOnly) await removeIfExists(join(dir, SPILL_FILE));
  const { chunkBytes } = readSizes(memory);
  let pipe = opts.planOnly ? undefined : new ApplyPipeline({ dir, pageSize: ps, maxSlots, spillPath }, warn);
  let reader =
    pipe && roomToLookAhead && opts.lookAhead?.length
      ? new LookAhead({ sources: opts.lookAhead, fromLsn: start, toLsn: opts.toLsn, chunkBytes, reuseBuffers: LOOK_AHEAD_READ_BUFFERS, knownMtrs })
      : undefined;
  let hints = reader?.hints;
  try {
    const slots = pipe ? windowSlots(windowRecords, arenaBytes) : [];
    const span = Number((opts.toLsn ?? base.baseEndLsn ?? start + 1n) - start) || 1;
    const scanProgress = (lsn: Lsn | undefined) =>
      opts.onProgress?.({ phase: 'scan', fraction: progressOf(lsn, start, span) * SCAN_SHARE, lsn: lsn ?? start });
    let spans: SourceSpan[];
    let knowledge: SpaceKnowledge;
    let first: Planner;
    let feed: BatchFeed;
    let pass1: PassResult | undefined;
    for (;;) {
      const p = pipe;
      spans = [];
      const k = (knowledge = new SpaceKnowledge());
      first = new Planner(k, { pageSize: ps }, p !== undefined, windowRecords, (id, to) => p?.drop(id, to));
      feed = new BatchFeed(readStitched(sources, start, { toLsn: opts.toLsn, batchBytes, spans, ends, known: reader?.known }));
      if (!p) {
        while ((await feed.feed(first, opts.toLsn)) !== 'end') scanProgress(first.reachedLsn);
        break;
      }
      pass1 = await runPass(p, 1, slots, first, feed, opts.toLsn, (id) => resolveInScan(scan, k, id), scanProgress, opts.toLsn ?? base.baseEndLsn, hints && { hints, reader, readFirst: opts.lookAheadFirst });
      await reader?.close();
      reader = undefined;
      // The look-ahead read log this pass did not (a source that changed since it was opened):
      // records were skipped for resets never decoded. Run the pass again without it.
      const unsettled = hints?.unsettled(k.deleted) ?? 0;
      if (unsettled === 0) break;
      hints = undefined;
      warn(`the look-ahead read log that this pass did not (a source changed while it was read): ${unsettled} pages lack the reset it promised; the pass is run again without it`);
      await p.close();
      pipe = new ApplyPipeline({ dir, pageSize: ps, maxSlots, spillPath }, warn);
    }
    const available = feed.end?.endLsn ?? first.reachedLsn ?? start;
    const reached = first.reachedLsn ?? start;
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
    for (const [id, flags] of knowledge.fspFlags) {
      if (knowledge.deleted.has(id)) continue;
      const why = unsupportedFlags(flags);
      if (why) throw new RefusedError(`${describeTablespace(knowledge.names.get(id)?.replace(/^\.\//, '') ?? `space ${id}`)} is ${why}; prepare does not support it`);
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
    const totalPages = pass1 ? pass1.touchedTotal : first.touchedPages;
    const summary = {
      base: base.kind,
      startLsn: start,
      reachedLsn: reached,
      requestedLsn: opts.toLsn,
      availableEndLsn: available,
      spans,
      mtrs: first.mtrs,
      records: first.records,
      recordsVoidedAhead: hints?.skipped ?? 0,
      logBytes: first.logBytes,
      tablespaces: tablespaceSummary(pass1 ? pass1.touched : first.touched, first.knowledge, scan),
      pagesTouched: totalPages,
      batches: 1,
      memoryPerBatch: Math.min(totalPages, maxSlots) * ps,
      pagesSpilled: Math.max(0, totalPages - maxSlots),
      fileOps: first.fileOps.length,
      warnings,
    };
    if (opts.planOnly || !pipe || !pass1) return { ...summary, pagesWritten: 0, filesExtended: 0, planOnly: true };
    const live = pipe;

    // From here on the directory changes.
    // The state file: heading from `start` to `reached`; `in-progress` until the new log is in place.
    const state = (status: 'in-progress' | 'done', at: Lsn) =>
      writeState(dir, {
        status,
        baseStartLsn: base.state?.baseStartLsn ?? formatLsn(base.startLsn),
        startLsn: formatLsn(start),
        targetLsn: formatLsn(reached),
        reachedLsn: formatLsn(at),
      });
    await state('in-progress', start);
    if (base.kind === 'mariadb-backup') {
      await removeIfExists(join(dir, BASE_LOG_COPY));
      await link(join(dir, 'ib_logfile0'), join(dir, BASE_LOG_COPY));
    }
    await applyBackupDdl(dir, ddl);
    const liveScan = await scanTablespaces(dir, await listFiles(dir), layoutAfterDdl(await listFiles(dir), []));
    const store = new PageStore(dir, ps, liveScan, Math.max(1, opts.parallel ?? 32));
    const flags = new Map<number, number>();
    let batches = 1;
    let filesExtended = 0;
    let pagesWritten = 0;
    let pages = pass1.pages;
    let pagesSpilled = pages.spilled;
    // Pass 1 reports 0..SCAN_SHARE while it reads and applies, then its writes; further passes (their
    // number known only once pass 1 is over) share what is left up to 0.97. Never backwards.
    let shown = 0;
    let from = SCAN_SHARE;
    // Passes after the first: those done and those the pages still deferred need (an estimate).
    let later = Math.ceil(pages.deferred / maxSlots);
    const report = (phase: PrepareProgress['phase'], fraction: number, lsn: Lsn) => {
      shown = Math.max(shown, Math.min(0.97, fraction));
      opts.onProgress?.({ phase, fraction: shown, lsn });
    };
    const inPass = (pass: number, part: number) =>
      pass === 1 ? SCAN_SHARE + (0.97 - SCAN_SHARE) * part * (pages.deferred > 0 ? 0.2 : 1) : from + (0.97 - from) * ((pass - 2 + part) / Math.max(1, later));
    const writing = (pass: number) => (done: number, total: number) =>
      report('apply', inPass(pass, pass === 1 ? done / Math.max(1, total) : SCAN_SHARE + (1 - SCAN_SHARE) * (done / Math.max(1, total))), reached);
    try {
      await runFileOps(dir, start, first.fileOps, store, warn);
      let w = await writePass(pages, store, { flushBytes, flags, knowledge, onWarning: warn, onProgress: writing(1) });
      pagesWritten += w.pagesWritten;
      filesExtended += w.filesExtended;
      from = shown;
      // Pages of tablespaces found only after pass 1 (deferred): further passes over the same log.
      while (pages.deferred > 0) {
        const deferred = pages.deferred;
        batches++;
        const plan = new Planner(new SpaceKnowledge(), { pageSize: ps }, true, windowRecords, (id, to) => live.drop(id, to));
        const passFeed = new BatchFeed(readStitched(sources, start, { toLsn: reached, batchBytes, ends }));
        const resolve = (id: number) => (store.has(id) || store.bindByName(id, knowledge.names.get(id)) ? store.pathOf(id) : undefined);
        const pass = batches;
        const r = await runPass(live, pass, slots, plan, passFeed, reached, resolve, (lsn) => {
          report('apply', inPass(pass, progressOf(lsn, start, span) * SCAN_SHARE), lsn ?? start);
        }, reached, hints && { hints });
        if (plan.reachedLsn !== reached) {
          throw new IbarchiveError('internal', `pass ${pass} read the log to LSN ${formatLsn(plan.reachedLsn ?? start)}, not ${formatLsn(reached)}`);
        }
        // The same range as pass 1, whose hints were all settled: so must these be, before anything is written.
        const owed = plan.hints?.unsettled(plan.knowledge.deleted) ?? 0;
        if (owed > 0) throw new IbarchiveError('internal', `pass ${pass}: ${owed} pages skipped for a reset up to LSN ${formatLsn(reached)} that the pass did not decode`);
        pages = r.pages;
        pagesSpilled += pages.spilled;
        later = pass - 1 + Math.ceil(pages.deferred / maxSlots);
        if (pages.count === 0 && pages.deferred >= deferred) throw new IbarchiveError('internal', `pass ${pass} applied no page of the ${deferred} left`);
        w = await writePass(pages, store, { flushBytes, flags, knowledge, onWarning: warn, onProgress: writing(pass) });
        pagesWritten += w.pagesWritten;
        filesExtended += w.filesExtended;
      }
    } finally {
      await store.close();
    }
    opts.onProgress?.({ phase: 'finish', fraction: 0.97, lsn: reached });

    // The new log, the backup's checkpoints file, then our state: the order a re-run relies on.
    await writeFileAtomic(dir, 'ib_logfile0', encodeEmptyLog(reached));
    if (base.checkpoints && base.checkpoints.backupType !== 'log-applied') {
      await writeFileAtomic(dir, base.checkpoints.name, formatCheckpointsFile(base.checkpoints, { backup_type: 'log-applied' }));
    }
    await state('done', reached);
    await removeIfExists(join(dir, BASE_LOG_COPY));
    for (const f of JOURNAL_FILES) await removeIfExists(join(dir, f));
    await removeIfExists(join(dir, FILE_OPS_FILE));
    opts.onProgress?.({ phase: 'finish', fraction: 1, lsn: reached });
    return { ...summary, batches, pagesSpilled, pagesWritten, filesExtended, planOnly: false };
  } finally {
    await reader?.close();
    await pipe?.close();
    if (pipe) await removeIfExists(spillPath);
  }
}

/**
 * The scratch file for pages beyond memory: SPILL_FILE in the target
 * directory, or a file of its own in `scratchDir`, which must be a directory.
 */
async function scratchFile(dir: string, scratchDir: string | undefined): Promise<string> {
  if (scratchDir === undefined) return join(dir, SPILL_FILE);
  const st = await stat(scratchDir).catch(() => undefined);
  if (!st?.isDirectory()) throw new InputError(`--scratch-dir: not a directory: ${scratchDir}`);
  return join(scratchDir, `${SPILL_FILE.replace(/^\./, '')}-${randomUUID()}`);
}

function progressOf(lsn: Lsn | undefined, start: Lsn, span: number): number {
  if (lsn === undefined) return 0;
  return Math.min(1, Number(lsn - start) / span);
}

function tablespaceSummary(touched: Map<number, number>, k: SpaceKnowledge, scan: TablespaceScan): PrepareResult['tablespaces'] {
  const names = (id: number) => scan.byId.get(id)?.path ?? k.names.get(id)?.replace(/^\.\//, '');
  return [...touched.keys()].sort((a, b) => a - b).map((id) => ({ spaceId: id, file: names(id), pages: touched.get(id)! }));
}

/** Where pass 1 reads a space's pages: its file as found by the scan, an all-zero file of its name, or nothing yet for a space created in the log. */
function resolveInScan(scan: TablespaceScan, k: SpaceKnowledge, id: number): string | null | undefined {
  const f = scan.byId.get(id);
  if (f) return f.source;
  const name = k.names.get(id);
  const path = name === undefined ? undefined : normalizeLogName(name);
  const unbound = path === undefined ? undefined : scan.files.find((x) => x.spaceId === undefined && x.path === path);
  if (unbound) return unbound.source;
  return k.created.has(id) ? null : undefined;
}
