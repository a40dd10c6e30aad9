import { join } from 'node:path';
import {
  formatTime,
  openLogPath,
  restoreAnswer,
  type RestoreAnswer,
  type RestoreBase,
  type TimeResolution,
  verifyArchive,
  type VerifyReport,
} from '@ibarchive/log-archiver';
import { formatLsn, IbarchiveError, type Lsn, parseLsn, readMtrBatches, UsageError } from '@ibarchive/parser';
import { inspectBase } from '@ibarchive/prepare';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { addCommand } from '../program.js';
import { jsonLine, mib } from '../verify/json.js';
import { describeResolution, explainResolution, resolutionJson, resolveToTime } from '../verify/to-time.js';

interface VerifyFlags {
  archiveDir: string;
  targetDir?: string;
  toArchivedLsn?: string;
  toTime?: string;
  explain?: boolean;
  json?: boolean;
}

/** The backup's own log: the range it holds from its start, found by decoding it (which checks every mtr CRC). */
async function backupBase(dir: string): Promise<{ base: RestoreBase; kind: string; notes: string[] }> {
  const info = await inspectBase(dir);
  const ownLog: { from: Lsn; to: Lsn }[] = [];
  const notes: string[] = [];
  for (const name of info.ownLogs) {
    const opened = await openLogPath(join(dir, name));
    try {
      for await (const b of readMtrBatches(opened.source, info.startLsn)) {
        if (b.kind === 'end') {
          ownLog.push({ from: info.startLsn, to: b.endLsn });
          break;
        }
      }
    } catch (e) {
      if (!(e instanceof IbarchiveError)) throw e;
      notes.push(`the backup's own log ${name} is damaged: ${e.message}`);
    } finally {
      await opened.close();
    }
  }
  return { base: { startLsn: info.startLsn, minTargetLsn: info.minTargetLsn, ownLog }, kind: info.kind, notes };
}

function progress(io: Output, json: boolean): (p: { bytesDone: number; bytes: number; segmentsDone: number; segments: number; lsn: Lsn }) => void {
  const t0 = Date.now();
  let last = t0;
  return (p) => {
    const now = Date.now();
    if (json || p.segmentsDone === p.segments || now - last < (io.isTTY ? 250 : 2000)) return;
    last = now;
    const pct = p.bytes > 0 ? Math.floor((100 * p.bytesDone) / p.bytes) : 100;
    const rate = p.bytesDone / Math.max(0.001, (now - t0) / 1000);
    const eta = rate > 0 ? Math.round((p.bytes - p.bytesDone) / rate) : 0;
    io.err(`verify: ${pct}% (${p.segmentsDone}/${p.segments} segments, ${mib(p.bytesDone)} of ${mib(p.bytes)}, LSN ${formatLsn(p.lsn)}, ETA ${eta}s)`);
  };
}

function printReport(io: Output, r: VerifyReport): void {
  io.out(`archive ${r.dir}: LSN ${formatLsn(r.startLsn)}..${formatLsn(r.endLsn)}`);
  io.out(`  read ${r.segments} segments (${mib(r.fileBytes)} of files, ${mib(r.logBytes)} of log); ${r.mtrs} mtrs and ${r.records} records decoded and checked`);
  io.out(`  hash chain: ${r.chainStart === 'origin' ? 'complete from the first segment' : r.chainStart === 'expire-record' ? 'checked from the expire record' : 'first link not checkable (earlier segments were removed without an expire record)'}`);
  io.out(`  coverage (verified log): ${r.coverage.map((c) => `${formatLsn(c.from)}..${formatLsn(c.to)}`).join(', ') || 'none'}`);
  if (r.problems.length === 0) {
    io.out('  problems: none');
    return;
  }
  io.out(`  problems: ${r.problems.length}`);
  for (const p of r.problems) io.out(`    ${p.kind.toUpperCase().padEnd(9)} LSN ${formatLsn(p.from)}..${formatLsn(p.to)}: ${p.message}`);
}

function printRestore(io: Output, dir: string, kind: string, base: RestoreBase, a: RestoreAnswer): void {
  io.out(`backup ${dir} (${kind}): needs log from LSN ${formatLsn(base.startLsn)}, consistent from LSN ${formatLsn(base.minTargetLsn)}`);
  for (const o of base.ownLog) io.out(`  its own log: LSN ${formatLsn(o.from)}..${formatLsn(o.to)}`);
  if (a.latestLsn !== undefined) {
    io.out(`  restorable up to LSN ${formatLsn(a.latestLsn)}${a.latestTimeMs !== undefined ? ` (by time: up to ${formatTime(a.latestTimeMs)})` : ''}`);
  }
  if (a.target !== undefined) io.out(`  target LSN ${formatLsn(a.target)}: ${a.targetOk ? 'reachable' : 'NOT reachable'}`);
  io.out(`  ${a.restorable && a.targetOk !== false ? 'RESTORABLE' : 'NOT RESTORABLE'}${a.reason ? `: ${a.reason}` : ''}`);
}

addCommand((program, io) => {
  program
    .command('verify')
    .summary('re-read every archived byte; report coverage, gaps and restorability')
    .description(
      'Read every byte of an archive and check it: each segment file (header CRC, size, decompression, ' +
        'payload CRC-32C), the SHA-256 hash chain between segments, and the log itself (every mtr\'s CRC-32C ' +
        'and every record, framed across segment boundaries). Reports the verified coverage as LSN ranges and ' +
        'every gap: overruns recorded by the archiver, missing segments, damaged segments. With --target-dir, ' +
        'also answers whether that base backup can be restored, to which latest LSN and time, and whether the ' +
        'target (--to-archived-lsn or --to-time) is reachable. Exit code 1 if anything is wrong.',
    )
    .requiredOption('--archive-dir <dir>', 'the archive directory')
    .option('--target-dir <dir>', 'a base backup (mariadb-backup directory, or a directory prepared before by ibarchive)')
    .option('--to-archived-lsn <lsn>', 'check that the backup can be rolled forward to this LSN')
    .option('--to-time <time>', "check the same for a wall-clock time: 'YYYY-MM-DD HH:MM:SS' local, or ISO 8601 with Z/offset")
    .option('--explain', 'with --to-time: print the samples bracketing the time and the uncertainty')
    .option('--json', 'print one JSON object (coverage, problems, restore answer); no progress')
    .addHelpText(
      'after',
      '\nTimes: without a zone, a time is local time of the machine running ibarchive (the TZ environment\n' +
        'variable); ISO 8601 with Z or +HH:MM / -HH:MM is that offset. Samples in the archive are UTC.\n' +
        'A time is resolved to the greatest LSN the archiver had archived at or before it (snapped down to an\n' +
        'mtr end): never a change made after it. A time outside the archive\'s samples is an error (exit 5).\n' +
        '\nExit codes here: 0 all checks passed; 1 a problem was found (the report names each LSN range);\n' +
        '5 --to-time outside the archive; 3/4 the archive cannot be opened at all.\n' +
        '\nExamples:\n' +
        '  ibarchive verify --archive-dir /srv/redo-archive\n' +
        "  ibarchive verify --archive-dir /srv/redo-archive --target-dir /backups/full --to-time '2026-11-21 14:05:00' --explain\n" +
        '  ibarchive verify --archive-dir /srv/redo-archive --json | jq .coverage',
    )
    .action(async (flags: VerifyFlags) => {
      const json = Boolean(flags.json);
      if (flags.toArchivedLsn !== undefined && flags.toTime !== undefined) throw new UsageError('verify: give --to-archived-lsn or --to-time, not both');
      let target: Lsn | undefined;
      if (flags.toArchivedLsn !== undefined) {
        target = parseLsn(flags.toArchivedLsn);
        if (target === undefined) throw new UsageError(`--to-archived-lsn: not an LSN: ${flags.toArchivedLsn}`);
      }
      let resolution: TimeResolution | undefined;
      if (flags.toTime !== undefined) {
        resolution = await resolveToTime(flags.archiveDir, flags.toTime);
        target = resolution.lsn;
      }
      const report = await verifyArchive(flags.archiveDir, { onProgress: progress(io, json) });
      let restore: { kind: string; base: RestoreBase; answer: RestoreAnswer; notes: string[] } | undefined;
      if (flags.targetDir !== undefined) {
        const b = await backupBase(flags.targetDir);
        restore = { kind: b.kind, base: b.base, notes: b.notes, answer: restoreAnswer(report, b.base, target) };
      }
      const inCoverage = target === undefined || report.coverage.some((c) => target! > c.from && target! <= c.to);
      const ok =
        report.problems.length === 0 &&
        (restore === undefined ? inCoverage : restore.answer.restorable && restore.answer.targetOk !== false && restore.notes.length === 0);
      if (json) {
        io.out(
          jsonLine({
            ok,
            archiveDir: report.dir,
            startLsn: report.startLsn,
            endLsn: report.endLsn,
            segments: report.segments,
            fileBytes: report.fileBytes,
            logBytes: report.logBytes,
            mtrs: report.mtrs,
            records: report.records,
            chainStart: report.chainStart,
            coverage: report.coverage,
            problems: report.problems,
            target: target ?? undefined,
            targetInCoverage: target === undefined ? undefined : inCoverage,
            toTime: resolution ? resolutionJson(resolution) : undefined,
            backup: restore
              ? {
                  dir: flags.targetDir,
                  kind: restore.kind,
                  startLsn: restore.base.startLsn,
                  minTargetLsn: restore.base.minTargetLsn,
                  ownLog: restore.base.ownLog,
                  notes: restore.notes,
                  restorable: restore.answer.restorable,
                  latestLsn: restore.answer.latestLsn,
                  latestTime: restore.answer.latestTimeMs === undefined ? undefined : new Date(restore.answer.latestTimeMs).toISOString(),
                  target: restore.answer.target,
                  targetOk: restore.answer.targetOk,
                  reason: restore.answer.reason,
                }
              : undefined,
          }),
        );
      } else {
        if (resolution) {
          io.out(describeResolution(resolution));
          if (flags.explain) for (const l of explainResolution(resolution)) io.out(l);
        }
        printReport(io, report);
        if (restore) {
          printRestore(io, flags.targetDir!, restore.kind, restore.base, restore.answer);
          for (const n of restore.notes) io.out(`  problem: ${n}`);
        } else if (target !== undefined) {
          io.out(`  target LSN ${formatLsn(target)}: ${inCoverage ? 'inside the verified coverage' : 'NOT inside the verified coverage'}`);
        }
        io.out(ok ? 'verify: OK' : 'verify: PROBLEMS FOUND');
      }
      if (!ok) program.setOptionValue('__exitCode', EXIT.problems);
    });
});
