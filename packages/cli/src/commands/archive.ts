import { join } from 'node:path';
import { Option } from 'commander';
import { type ArchiveEvent, ingestBackup, runArchiver } from '@ibarchive/log-archiver';
import { formatLsn, UsageError } from '@ibarchive/parser';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { addCommand } from '../program.js';

/** Parses "65536", "64M", "64MiB", "1G" into bytes. */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: not a size: ${text} (examples: 65536, 64M, 1G)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const v = Number(m[1]) * mult;
  if (!Number.isSafeInteger(v) || v <= 0) throw new UsageError(`${flag}: size out of range: ${text}`);
  return v;
}

function parsePositive(text: string, flag: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`${flag}: not a positive number: ${text}`);
  return v;
}

/** JSON-safe event: LSNs (bigint) as decimal strings. */
function eventJson(e: ArchiveEvent): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? formatLsn(v) : v));
}

function printEvent(io: Output, e: ArchiveEvent, json: boolean): void {
  if (json) {
    io.out(eventJson(e));
    if (e.type === 'error' || e.type === 'gap') io.err(`ibarchive: ERROR: ${e.type === 'gap' ? `gap recorded: LSN ${formatLsn(e.from)}..${formatLsn(e.to)} (${e.reason})` : e.message}`);
    return;
  }
  switch (e.type) {
    case 'start':
      io.err(`archiving ${e.log} into ${e.archiveDir} from LSN ${formatLsn(e.nextLsn)}${e.resumed ? ' (resumed)' : ' (new archive)'}`);
      break;
    case 'segment':
      io.out(`segment ${e.file}: LSN ${formatLsn(e.startLsn)}..${formatLsn(e.endLsn)}, ${e.logBytes} log bytes, ${e.storedBytes} stored`);
      break;
    case 'progress':
      break;
    case 'gap':
      io.err(`ibarchive: ERROR: gap recorded: LSN ${formatLsn(e.from)}..${formatLsn(e.to)} is missing from the archive (${e.reason})`);
      break;
    case 'log-changed':
      io.err(`server log changed: ${e.log} now starts at LSN ${formatLsn(e.firstLsn)}, capacity ${e.capacity}`);
      break;
    case 'warning':
      io.err(`ibarchive: warning: ${e.message}`);
      break;
    case 'error':
      io.err(`ibarchive: ERROR: ${e.message}`);
      break;
    case 'stop':
      io.err(`archived up to LSN ${formatLsn(e.archivedLsn)}`);
      break;
  }
}

addCommand((program, io) => {
  program
    .command('archive')
    .summary("copy a running server's circular ib_logfile0 into a checksummed archive")
    .description(
      'Copy the server\'s circular redo log (ib_logfile0) into an archive directory of self-describing, ' +
        'checksummed segments. The first run starts at the latest checkpoint; later runs resume exactly ' +
        'where the archive ends. Follows the log until SIGINT/SIGTERM (finishing the current segment), ' +
        'or with --once archives what is in the log now and exits. If the server overwrote log that was ' +
        'not yet archived, the lost LSN range is recorded as a gap file, reported, and archiving continues ' +
        'from the oldest checkpoint still in the log (exit code 5 at the end of the run).',
    )
    .option('--datadir <dir>', 'server data directory holding ib_logfile0')
    .option('--log-file <path>', 'the server\'s ib_logfile0 (if innodb_log_group_home_dir is not the datadir)')
    .requiredOption('--archive-dir <dir>', 'archive directory (created 0700 if missing)')
    .option('--once', 'archive what the log holds now, then exit')
    .option('--poll-interval <ms>', 'how often to look for new log, in milliseconds', '1000')
    .option('--segment-size <size>', 'roll a segment after this much log (e.g. 64M)', '64M')
    .option('--segment-seconds <s>', 'roll a non-empty segment after this many seconds', '10')
    .addOption(new Option('--compress <method>', 'segment compression').choices(['lz4', 'none']).default('lz4'))
    .option('--from-backup <dir>', 'first ingest the redo log of a mariadb-backup backup directory (covers a backup taken before archiving began)')
    .option('--json', 'print events (segments, progress with lag and headroom, gaps) as JSON lines')
    .addHelpText(
      'after',
      '\nExamples:\n  ibarchive archive --datadir /var/lib/mysql --archive-dir /srv/redo-archive\n' +
        '  ibarchive archive --datadir /var/lib/mysql --archive-dir /srv/redo-archive --once --json\n' +
        '  ibarchive archive --from-backup /backups/full-1 --datadir /var/lib/mysql --archive-dir /srv/redo-archive',
    )
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const json = Boolean(o['json']);
      const archiveDir = String(o['archiveDir']);
      const datadir = o['datadir'] as string | undefined;
      const logFile = (o['logFile'] as string | undefined) ?? (datadir ? join(datadir, 'ib_logfile0') : undefined);
      const fromBackup = o['fromBackup'] as string | undefined;
      if (!logFile && !fromBackup) throw new UsageError('archive: give --datadir or --log-file (or --from-backup)');
      const onEvent = (e: ArchiveEvent) => printEvent(io, e, json);
      let gaps = 0;
      if (fromBackup) {
        const r = await ingestBackup({
          backupDir: fromBackup,
          archiveDir,
          compression: o['compress'] as 'lz4' | 'none',
          segmentSize: parseSize(String(o['segmentSize']), '--segment-size'),
          onEvent,
        });
        io.err(`ingested backup ${fromBackup}: ${r.ranges.map((x) => `${formatLsn(x.from)}..${formatLsn(x.to)}`).join(', ') || 'nothing new'}`);
      }
      if (logFile) {
        const ac = new AbortController();
        const stop = () => ac.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          const r = await runArchiver({
            logPath: logFile,
            archiveDir,
            once: Boolean(o['once']),
            pollIntervalMs: parsePositive(String(o['pollInterval']), '--poll-interval'),
            segmentSize: parseSize(String(o['segmentSize']), '--segment-size'),
            segmentSeconds: parsePositive(String(o['segmentSeconds']), '--segment-seconds'),
            compression: o['compress'] as 'lz4' | 'none',
            signal: ac.signal,
            onEvent,
            pid: process.pid,
          });
          gaps = r.gaps.length;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      }
      if (gaps > 0) program.setOptionValue('__exitCode', EXIT.gap);
    });
});
