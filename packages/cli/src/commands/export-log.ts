import { exportLog } from '@ibarchive/log-archiver';
import { formatLsn, parseLsn, UsageError } from '@ibarchive/parser';
import { addCommand } from '../program.js';

function lsnOption(text: string, flag: string) {
  const v = parseLsn(text);
  if (v === undefined) throw new UsageError(`${flag}: not an LSN: ${text}`);
  return v;
}

addCommand((program, io) => {
  program
    .command('export-log')
    .summary('write an archived LSN range as a mariadb-backup backup log')
    .description(
      'Write an archived LSN range as a redo log file in mariadb-backup\'s backup-log layout ' +
        '(first_lsn = --from-lsn, checkpoint block 1 = (--from-lsn, LSN of its FILE_CHECKPOINT mtr), log from ' +
        'offset 12288, not padded). Put it as ib_logfile0 into a mariadb-backup backup whose checkpoint is ' +
        '--from-lsn, and `mariadb-backup --prepare` (or mariadbd) recovers up to --to-lsn. ' +
        '--from-lsn must be a checkpoint LSN whose FILE_CHECKPOINT record is in the range; --to-lsn an mtr end.',
    )
    .requiredOption('--archive-dir <dir>', 'archive directory')
    .requiredOption('--from-lsn <lsn>', 'checkpoint LSN to start at (e.g. the backup\'s checkpoint)')
    .requiredOption('--to-lsn <lsn>', 'LSN to end at (an mtr boundary)')
    .requiredOption('--out <file>', 'file to write (e.g. BACKUP/ib_logfile0)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  ibarchive export-log --archive-dir /srv/redo-archive --from-lsn 48203611 --to-lsn 61234567 --out /backups/full-1/ib_logfile0')
    .action(async (o: { archiveDir: string; fromLsn: string; toLsn: string; out: string; json?: boolean }) => {
      const r = await exportLog({
        archiveDir: o.archiveDir,
        fromLsn: lsnOption(o.fromLsn, '--from-lsn'),
        toLsn: lsnOption(o.toLsn, '--to-lsn'),
        out: o.out,
      });
      if (o.json) {
        io.out(JSON.stringify({ out: o.out, fromLsn: formatLsn(r.fromLsn), toLsn: formatLsn(r.toLsn), checkpointEndLsn: formatLsn(r.checkpointEndLsn), bytes: r.bytes }));
      } else {
        io.out(`wrote ${o.out}: LSN ${formatLsn(r.fromLsn)}..${formatLsn(r.toLsn)}, checkpoint ${formatLsn(r.fromLsn)} (FILE_CHECKPOINT at ${formatLsn(r.checkpointEndLsn)}), ${r.bytes} bytes`);
      }
    });
});
