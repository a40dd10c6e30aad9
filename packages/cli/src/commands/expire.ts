import { applyExpire, type ExpirePlan, formatTime, type KeptBackup, openArchive, parseDuration, planExpire } from '@ibarchive/log-archiver';
import { formatLsn, type Lsn, parseLsn, UsageError } from '@ibarchive/parser';
import { inspectBase } from '@ibarchive/prepare';
import type { Output } from '../output.js';
import { addCommand } from '../program.js';
import { jsonLine, mib } from '../verify/json.js';

interface ExpireFlags {
  archiveDir: string;
  keepBackups?: string[];
  olderThan?: string;
  beforeLsn?: string;
  dryRun?: boolean;
  json?: boolean;
}

function printPlan(io: Output, plan: ExpirePlan, keep: KeptBackup[], dryRun: boolean): void {
  for (const k of keep) io.out(`keeping what backup ${k.name} needs: the log from LSN ${formatLsn(k.startLsn)}`);
  if (plan.remove.length === 0) {
    io.out('nothing to remove');
  } else {
    io.out(`${dryRun ? 'would remove' : 'removing'} ${plan.remove.length} file(s), ${mib(plan.bytes)}:`);
    for (const p of plan.remove) io.out(`  ${p.file}  LSN ${formatLsn(p.from)}..${formatLsn(p.to)}${p.newestTimeMs !== undefined ? `  newest sample ${formatTime(p.newestTimeMs)}` : ''}`);
    io.out(
      `restore points that become unreachable: LSN ${formatLsn(plan.oldStartLsn)} up to (not including) ${formatLsn(plan.newStartLsn)}` +
        `${plan.lostUntilTimeMs !== undefined ? `, times up to about ${formatTime(plan.lostUntilTimeMs)}` : ''}; ` +
        `backups whose checkpoint is below LSN ${formatLsn(plan.newStartLsn)} can no longer be rolled forward from the archive`,
    );
    io.out(`the archive will start at LSN ${formatLsn(plan.newStartLsn)}`);
  }
  for (const l of plan.limits) io.out(`kept: ${l}`);
  if (dryRun) io.out('dry run: nothing was changed');
}

addCommand((program, io) => {
  program
    .command('expire')
    .summary('remove the oldest archived log, never what a kept backup needs')
    .description(
      'Remove old log from an archive: only ever a prefix (the oldest files), cut at segment boundaries, ' +
        'never what a kept backup needs to be rolled forward to now, never the newest segment. A file goes only ' +
        'if every criterion given allows it; with only --keep-backups, everything older than the oldest kept ' +
        'backup\'s checkpoint goes. Prints what goes and which restore points become unreachable. Safe while ' +
        'an archiver runs: files are renamed away (atomically) oldest first, then unlinked, so a crash leaves ' +
        'a prefix removed, never a hole. The archive\'s start is derived from its first remaining file; ' +
        'expired.json records the cut and the hash of the last removed segment so that verify can still check ' +
        'the hash chain. Refuses (exit 6, nothing removed) if --before-lsn would cut into a kept backup\'s log.',
    )
    .requiredOption('--archive-dir <dir>', 'the archive directory')
    .option('--keep-backups <dir...>', 'base backups (mariadb-backup directories, or prepared by ibarchive) that must stay restorable to now')
    .option('--older-than <duration>', 'remove segments whose newest time sample is older than this: 7d, 12h, 30m, 1d12h')
    .option('--before-lsn <lsn>', 'remove files whose whole LSN range is below this LSN')
    .option('--dry-run', 'print what would be removed; change nothing')
    .option('--json', 'print the plan as one JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ibarchive expire --archive-dir /srv/redo-archive --keep-backups /backups/mon /backups/thu --dry-run\n' +
        '  ibarchive expire --archive-dir /srv/redo-archive --keep-backups /backups/thu --older-than 7d',
    )
    .action(async (flags: ExpireFlags) => {
      const keep: KeptBackup[] = [];
      for (const dir of flags.keepBackups ?? []) keep.push({ name: dir, startLsn: (await inspectBase(dir)).startLsn });
      let beforeLsn: Lsn | undefined;
      if (flags.beforeLsn !== undefined) {
        beforeLsn = parseLsn(flags.beforeLsn);
        if (beforeLsn === undefined) throw new UsageError(`--before-lsn: not an LSN: ${flags.beforeLsn}`);
      }
      const olderThanMs = flags.olderThan === undefined ? undefined : parseDuration(flags.olderThan, '--older-than');
      const nowMs = Date.now();
      const archive = await openArchive(flags.archiveDir);
      const plan = await planExpire(archive, { keep, olderThanMs, beforeLsn, nowMs });
      const dryRun = Boolean(flags.dryRun);
      if (!dryRun) await applyExpire(archive, plan, nowMs);
      if (flags.json) {
        io.out(
          jsonLine({
            dryRun,
            removed: plan.remove.map((p) => ({ file: p.file, kind: p.kind, from: p.from, to: p.to, bytes: p.bytes })),
            bytes: plan.bytes,
            oldStartLsn: plan.oldStartLsn,
            newStartLsn: plan.newStartLsn,
            unreachableBeforeLsn: plan.remove.length ? plan.newStartLsn : null,
            unreachableUntilTime: plan.lostUntilTimeMs === undefined ? null : new Date(plan.lostUntilTimeMs).toISOString(),
            kept: keep.map((k) => ({ backup: k.name, needsFromLsn: k.startLsn })),
            limits: plan.limits,
          }),
        );
      } else {
        printPlan(io, plan, keep, dryRun);
      }
    });
});
