import { join } from 'node:path';
import { openArchive, openLogPath, type OpenedLog } from '@ibarchive/log-archiver';
import { formatLsn, parseLsn, UsageError, type LogSource } from '@ibarchive/parser';
import { inspectBase, prepare, SOURCE_READ_BUFFERS, type PrepareProgress, type PrepareResult } from '@ibarchive/prepare';
import { addCommand } from '../program.js';
import type { Output } from '../output.js';
import { prepareTimeTarget } from '../verify/to-time.js';

interface PrepareFlags {
  targetDir: string;
  archivedLogsDir?: string;
  toArchivedLsn?: string;
  toTime?: string;
  explain?: boolean;
  useMemory?: string;
  scratchDir?: string;
  parallel?: string;
  plan?: boolean;
  json?: boolean;
}

/** "1G", "512M", "100m", "65536" -> bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const v = Math.floor(Number(m[1]) * mult);
  return v > 0 ? v : undefined;
}

/** Throttled progress: a bar line on stderr (TTY) or JSON events on stdout (--json). */
function progressReporter(io: Output, json: boolean): (p: PrepareProgress) => void {
  const t0 = Date.now();
  let lastAt = 0;
  let lastPct = -1;
  return (p) => {
    const now = Date.now();
    const pct = Math.floor(p.fraction * 100);
    if (p.fraction < 1 && now - lastAt < 1000 && pct < lastPct + 10) return;
    if (pct === lastPct && p.fraction < 1) return;
    lastAt = now;
    lastPct = pct;
    const elapsed = (now - t0) / 1000;
    const eta = p.fraction > 0.02 ? Math.max(0, Math.round((elapsed / p.fraction) * (1 - p.fraction))) : undefined;
    if (json) {
      io.out(JSON.stringify({ event: 'progress', phase: p.phase, percent: pct, lsn: formatLsn(p.lsn), elapsedSeconds: Math.round(elapsed), etaSeconds: eta ?? null }));
    } else if (io.isTTY) {
      const width = 30;
      const fill = Math.round(p.fraction * width);
      io.err(`[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(pct).padStart(3)}% ${p.phase} LSN ${formatLsn(p.lsn)}${eta !== undefined ? ` ETA ${eta}s` : ''}`);
    }
  };
}

/** Archive segments a prepare read (those overlapping the spans read from the archive source). */
interface SegmentUse {
  file: string;
  startLsn: bigint;
  endLsn: bigint;
}

async function segmentsUsed(r: PrepareResult, archiveDir: string | undefined, archiveSource: string | undefined): Promise<SegmentUse[]> {
  if (archiveDir === undefined || archiveSource === undefined) return [];
  const spans = r.spans.filter((s) => s.source === archiveSource);
  if (spans.length === 0) return [];
  let archive;
  try {
    archive = await openArchive(archiveDir);
  } catch {
    return [];
  }
  return archive.segments
    .filter((g) => spans.some((s) => g.startLsn < s.toLsn && g.endLsn > s.fromLsn))
    .map((g) => ({ file: g.file, startLsn: g.startLsn, endLsn: g.endLsn }));
}

function resultJson(r: PrepareResult, segments: SegmentUse[]): object {
  return {
    event: 'result',
    planOnly: r.planOnly,
    base: r.base,
    startLsn: formatLsn(r.startLsn),
    reachedLsn: formatLsn(r.reachedLsn),
    requestedLsn: r.requestedLsn === undefined ? null : formatLsn(r.requestedLsn),
    availableEndLsn: formatLsn(r.availableEndLsn),
    sources: r.spans.map((s) => ({ source: s.source, fromLsn: formatLsn(s.fromLsn), toLsn: formatLsn(s.toLsn) })),
    segments: segments.map((g) => ({ file: g.file, startLsn: formatLsn(g.startLsn), endLsn: formatLsn(g.endLsn) })),
    mtrs: r.mtrs,
    records: r.records,
    recordsVoidedAhead: r.recordsVoidedAhead,
    logBytes: r.logBytes,
    tablespaces: r.tablespaces,
    pagesTouched: r.pagesTouched,
    batches: r.batches,
    memoryPerBatch: r.memoryPerBatch,
    pagesSpilled: r.pagesSpilled,
    pagesWritten: r.pagesWritten,
    filesExtended: r.filesExtended,
    fileOps: r.fileOps,
    warnings: r.warnings,
  };
}

function printResult(io: Output, r: PrepareResult, segments: SegmentUse[]): void {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  io.out(r.planOnly ? 'Plan (dry run, nothing written):' : 'Prepared:');
  io.out(`  base             ${r.base}`);
  io.out(`  LSN span         ${formatLsn(r.startLsn)} .. ${formatLsn(r.reachedLsn)}${r.requestedLsn !== undefined ? ` (requested ${formatLsn(r.requestedLsn)})` : ''}`);
  io.out(`  log available to ${formatLsn(r.availableEndLsn)}`);
  for (const s of r.spans) io.out(`  log source       ${s.source}: ${formatLsn(s.fromLsn)} .. ${formatLsn(s.toLsn)}`);
  for (const g of segments) io.out(`    segment        ${g.file}: ${formatLsn(g.startLsn)} .. ${formatLsn(g.endLsn)}`);
  io.out(`  mtrs / records   ${r.mtrs} / ${r.records} (${mib(r.logBytes)} of log)`);
  if (r.recordsVoidedAhead > 0) io.out(`  voided ahead     ${r.recordsVoidedAhead} records (their page is reset later in the log: not applied)`);
  io.out(`  tablespaces      ${r.tablespaces.length}, pages touched ${r.pagesTouched}`);
  for (const t of r.tablespaces) io.out(`    space ${t.spaceId} ${t.file ?? '(no file)'}: ${t.pages} pages`);
  const spilled = r.pagesSpilled === 0 ? '' : r.planOnly ? `; ${r.pagesSpilled} pages or more go to a scratch file` : `; ${r.pagesSpilled} pages went to a scratch file`;
  io.out(`  passes           ${r.batches} over the log, page memory ${mib(r.memoryPerBatch)}${spilled}`);
  if (!r.planOnly) io.out(`  pages written    ${r.pagesWritten}, files extended ${r.filesExtended}`);
  for (const w of r.warnings) io.out(`  warning: ${w}`);
  if (!r.planOnly) io.out(`LSN reached: ${formatLsn(r.reachedLsn)}`);
}

addCommand((program, io) => {
  program
    .command('prepare')
    .summary('apply archived redo to a base backup up to an LSN or time; incremental')
    .description(
      'prepare a base backup to an LSN by applying redo: the backup\'s own log, then archived logs, stitched by LSN.\n\n' +
        'The base is a mariadb-backup --backup directory or a BACKUP SERVER copy (backup.cnf); a directory prepared ' +
        'before by ibarchive is rolled forward from the LSN it reached. The result holds exactly the mtrs that end ' +
        'at or before the target; start mariadbd on it directly. The whole range is read and checked before any ' +
        'data file changes: a log gap, a target outside the log, a base page newer than the target, or encrypted / ' +
        'compressed tablespaces are refused with nothing changed. A prepare that is killed can be run again and ' +
        'reaches the same result.',
    )
    .requiredOption('--target-dir <dir>', 'the base backup directory, changed in place')
    .option('--archived-logs-dir <dir>', 'an ibarchive archive directory holding the log beyond the backup')
    .option('--to-archived-lsn <lsn>', 'apply exactly the mtrs ending at or before this LSN (default: all available log)')
    .option('--to-time <time>', "apply up to the archived state at this wall-clock time: 'YYYY-MM-DD HH:MM:SS' is local time (TZ), or ISO 8601 with Z/offset; resolved conservatively from the archive's time samples (never includes a change made after it); a time outside the archive is an error")
    .option('--explain', 'with --to-time: print the two samples bracketing the time and the gap between them (seconds, bytes)')
    .option('--use-memory <size>', 'memory for log reads, windows of records and (at least half of it) the pages being applied, e.g. 512M, 2G (default 1G); pages that do not fit go to a scratch file in the target dir and back')
    .option('--scratch-dir <dir>', 'where pages that do not fit in --use-memory wait while the log is applied (default: the target dir); needs free space up to the size of those pages')
    .option('--parallel <n>', 'page writes in flight (default 32)')
    .option('--plan', 'dry run: print log sources, LSN span, tablespaces and pages touched, page memory and pages beyond it; change nothing')
    .option('--json', 'progress events and the result as JSON lines on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ibarchive prepare --target-dir /backups/full --archived-logs-dir /archive --to-archived-lsn 123456789\n' +
        '  ibarchive prepare --target-dir /backups/full --archived-logs-dir /archive --plan\n' +
        '  ibarchive prepare --target-dir /backups/full --archived-logs-dir /archive   # later: roll forward again',
    )
    .action(async (flags: PrepareFlags) => {
      let toLsn = flags.toArchivedLsn === undefined ? undefined : parseLsn(flags.toArchivedLsn);
      if (flags.toArchivedLsn !== undefined && toLsn === undefined) throw new UsageError(`--to-archived-lsn: not an LSN: ${flags.toArchivedLsn}`);
      const useMemory = flags.useMemory === undefined ? undefined : parseSize(flags.useMemory);
      if (flags.useMemory !== undefined && useMemory === undefined) throw new UsageError(`--use-memory: not a size: ${flags.useMemory}`);
      const parallel = flags.parallel === undefined ? undefined : Number(flags.parallel);
      if (parallel !== undefined && !(Number.isInteger(parallel) && parallel >= 1 && parallel <= 256)) {
        throw new UsageError(`--parallel: not a number from 1 to 256: ${flags.parallel}`);
      }
      if (flags.toTime !== undefined) toLsn = await prepareTimeTarget(io, flags);
      const base = await inspectBase(flags.targetDir);
      const opened: OpenedLog[] = [];
      const paths: string[] = [];
      try {
        for (const name of base.ownLogs) {
          paths.push(join(flags.targetDir, name));
          opened.push(await openLogPath(paths[paths.length - 1]!, { reuseBuffers: SOURCE_READ_BUFFERS }));
        }
        if (flags.archivedLogsDir !== undefined) {
          paths.push(flags.archivedLogsDir);
          opened.push(await openLogPath(flags.archivedLogsDir));
        }
        const sources: LogSource[] = opened.map((o) => o.source);
        const json = Boolean(flags.json);
        const result = await prepare({
          targetDir: flags.targetDir,
          sources,
          lookAhead: opened.map((o, i) => ({ path: paths[i]!, endLsn: o.endLsn })),
          toLsn,
          useMemory,
          parallel,
          scratchDir: flags.scratchDir,
          planOnly: Boolean(flags.plan),
          onProgress: progressReporter(io, json),
          onWarning: (m) => {
            if (json) io.out(JSON.stringify({ event: 'warning', message: m }));
            else io.err(`warning: ${m}`);
          },
        });
        const archiveSource = flags.archivedLogsDir !== undefined ? opened[opened.length - 1]?.source.name : undefined;
        const segments = await segmentsUsed(result, flags.archivedLogsDir, archiveSource);
        if (json) io.out(JSON.stringify(resultJson(result, segments)));
        else printResult(io, result, segments);
      } finally {
        for (const o of opened) await o.close();
      }
    });
});
