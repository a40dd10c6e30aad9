import { archiveStatus, type ArchiveStatus, formatTime, statusProblems, writeMetricsFile } from '@ibarchive/log-archiver';
import { formatLsn } from '@ibarchive/parser';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { addCommand } from '../program.js';
import { jsonLine, mib } from '../verify/json.js';

interface StatusFlags {
  archiveDir: string;
  metricsFile?: string;
  json?: boolean;
}

/** Signal 0 tests that a process exists (EPERM: it exists, owned by another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const time = (ms: number | undefined) => (ms === undefined ? 'unknown' : formatTime(ms));
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function printStatus(io: Output, s: ArchiveStatus, nowMs: number, problems: string[]): void {
  io.out(`archive ${s.dir} (id ${s.archiveId}, ${s.creator}, created ${s.createdAt})`);
  io.out(`  restorable window: LSN ${formatLsn(s.window.fromLsn)}..${formatLsn(s.window.toLsn)}, time ${time(s.window.fromTimeMs)} .. ${time(s.window.toTimeMs)}`);
  if (s.coverage.length > 1) io.out(`  all archived ranges: ${s.coverage.map((c) => `${formatLsn(c.from)}..${formatLsn(c.to)}`).join(', ')}`);
  io.out(`  segments: ${s.segments}, ${mib(s.storedBytes)} on disk for ${mib(s.logBytes)} of log (compression ratio ${s.compressionRatio.toFixed(2)})`);
  io.out(`  gaps: ${s.gaps.length === 0 ? 'none' : ''}`);
  for (const g of s.gaps) {
    io.out(`    LSN ${formatLsn(g.from)}..${formatLsn(g.to)} ${g.kind === 'recorded' ? `recorded overrun (${g.record?.reason ?? ''}, ${g.record?.detectedAt ?? ''})` : 'missing: no segment or gap file'}`);
  }
  const lastAge = s.lastArchivedTimeMs === undefined ? '' : ` (${((nowMs - s.lastArchivedTimeMs) / 1000).toFixed(0)} s ago)`;
  io.out(`  last archived: ${time(s.lastArchivedTimeMs)}${lastAge}`);
  const a = s.archiver;
  io.out(`  archiver: ${a.state.toUpperCase()}: ${a.detail}`);
  const f = a.file;
  if (f && a.state !== 'unknown') {
    if (f.serverLsn !== undefined && f.archivedLsn !== undefined) io.out(`    server LSN ${formatLsn(f.serverLsn)}, archived ${formatLsn(f.archivedLsn)}, durable ${formatLsn(f.durableLsn ?? f.archivedLsn)}`);
    if (f.lagBytes !== undefined) io.out(`    lag ${formatLsn(f.lagBytes)} bytes, ${(f.lagSeconds ?? 0).toFixed(1)} s`);
    if (f.headroom !== undefined && f.capacity !== undefined) {
      io.out(`    headroom ${formatLsn(f.headroom)} bytes of ${f.capacity} (${((100 * Number(f.headroom)) / f.capacity).toFixed(0)}% of the log ring before it overwrites unarchived log)`);
    }
  }
  io.out(`  health: ${problems.length === 0 ? 'OK' : `${problems.length} problem${problems.length > 1 ? 's' : ''}`}`);
  for (const p of problems) io.out(`    PROBLEM: ${p}`);
}

function statusJson(s: ArchiveStatus, problems: string[]): object {
  return {
    healthy: problems.length === 0,
    problems,
    archiveDir: s.dir,
    archiveId: s.archiveId,
    creator: s.creator,
    createdAt: s.createdAt,
    startLsn: s.startLsn,
    endLsn: s.endLsn,
    window: { fromLsn: s.window.fromLsn, toLsn: s.window.toLsn, fromTime: iso(s.window.fromTimeMs), toTime: iso(s.window.toTimeMs) },
    coverage: s.coverage,
    gaps: s.gaps.map((g) => ({ from: g.from, to: g.to, kind: g.kind, reason: g.record?.reason, detectedAt: g.record?.detectedAt })),
    segments: s.segments,
    storedBytes: s.storedBytes,
    logBytes: s.logBytes,
    compressionRatio: s.compressionRatio,
    lastArchivedTime: iso(s.lastArchivedTimeMs),
    archiver: { ...s.archiver.file, recordedState: s.archiver.file?.state ?? null, state: s.archiver.state, detail: s.archiver.detail, ageSeconds: s.archiver.ageSeconds },
  };
}

addCommand((program, io) => {
  program
    .command('status')
    .summary('restorable window, size, gaps, archiver lag and headroom; Prometheus metrics')
    .description(
      'Summarise an archive without reading payloads: the restorable window (earliest and latest LSN and time ' +
        'of the contiguous range reaching the end), segments, size on disk and compression ratio, gaps, when log ' +
        'was last archived, and the archiver: running (its status file is fresh and its pid alive), stale (alive ' +
        'but not updating: hung?) or stopped, with its lag behind the server and the headroom left before the ' +
        'server overwrites unarchived log. --metrics-file writes the same as Prometheus text for node_exporter\'s ' +
        'textfile collector (atomically: temp file + rename). Use verify to check the content. ' +
        'Exit status 1 (for cron and monitoring) when the archive has a recorded gap or a missing range, or the ' +
        'archiver is stale, or dead while status.json says running; the problems are listed (--json: "problems").',
    )
    .requiredOption('--archive-dir <dir>', 'the archive directory')
    .option('--metrics-file <path>', 'also write Prometheus metrics to this file (e.g. /var/lib/node_exporter/textfile/ibarchive.prom)')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ibarchive status --archive-dir /srv/redo-archive\n' +
        '  ibarchive status --archive-dir /srv/redo-archive --metrics-file /var/lib/node_exporter/textfile/ibarchive.prom   # from cron, every minute\n' +
        '\nExit status:\n' +
        '  0  healthy: no gap or missing range; the archiver is running, stopped cleanly, or has never written a status\n' +
        '  1  a recorded gap or missing range, or the archiver is stale (alive, not updating) or dead (status.json says running, pid gone)\n' +
        '  3  not an archive directory;  4  a damaged archive listing (e.g. a segment header fails its CRC: run verify)',
    )
    .action(async (flags: StatusFlags) => {
      const nowMs = Date.now();
      const s = await archiveStatus(flags.archiveDir, { nowMs, isAlive });
      if (flags.metricsFile !== undefined) await writeMetricsFile(flags.metricsFile, s, nowMs);
      const problems = statusProblems(s);
      if (flags.json) io.out(jsonLine(statusJson(s, problems)));
      else printStatus(io, s, nowMs, problems);
      if (problems.length > 0) program.setOptionValue('__exitCode', EXIT.problems);
    });
});
