import {
  describeRecord,
  EXTENDED_SUBTYPE_NAMES,
  formatLsn,
  type Lsn,
  parseLsn,
  RECORD_TYPES,
  recordToJSON,
  UsageError,
} from '@ibarchive/parser';
import { runDump } from '../dump/run-dump.js';
import { describeEnd, summaryToJSON } from '../dump/stats.js';
import { addCommand } from '../program.js';

const TYPE_NAMES = [...RECORD_TYPES.map((t) => t.name), ...EXTENDED_SUBTYPE_NAMES];

interface DumpFlags {
  fromLsn?: string;
  toLsn?: string;
  space?: string;
  page?: string;
  type?: string;
  json?: boolean;
  stats?: boolean;
  pageSize: string;
}

function lsnOption(name: string, text: string | undefined): Lsn | undefined {
  if (text === undefined) return undefined;
  const v = parseLsn(text);
  if (v === undefined) throw new UsageError(`${name}: not an LSN: ${text}`);
  return v;
}

function intOption(name: string, text: string | undefined, max = 0xffffffff): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > max) throw new UsageError(`${name}: not a number in 0..${max}: ${text}`);
  return Number(text);
}

addCommand((program, io) => {
  program
    .command('dump')
    .summary('decode a redo log and print its records, --stats or --json (pg_waldump for InnoDB)')
    .argument('<path>', 'ib_logfile0, a mariadb-backup directory, an archive directory or a segment file')
    .description(
      'Decode a redo log and print its records (the pg_waldump of InnoDB). Starts at the latest checkpoint ' +
        'of an ib_logfile0 (the first archived LSN of an archive) and decodes to the end of the log, validating ' +
        'every mtr checksum and record. Always ends with a line giving the first and last mtr LSN decoded, ' +
        'the end LSN and why decoding stopped; corruption in the middle of the log exits with code 4.',
    )
    .option('--from-lsn <lsn>', 'start at this LSN (must be an mtr boundary) instead of the checkpoint')
    .option('--to-lsn <lsn>', 'stop before the first mtr starting at or after this LSN')
    .option('--space <id>', 'only records of this tablespace id')
    .option('--page <no>', 'only page records of this page number')
    .option('--type <names>', `only these record types, comma-separated (${TYPE_NAMES.join(', ')})`)
    .option('--json', 'one JSON object per record, then a summary object; with --stats one JSON object')
    .option('--stats', 'counts and bytes per record type, mtr count, LSN range and pages touched instead of records')
    .option('--page-size <bytes>', 'page size of the instance, for offset checks', '16384')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ibarchive dump /var/lib/mysql/ib_logfile0 --stats\n' +
        '  ibarchive dump /backups/full --space 5 --page 3\n' +
        '  ibarchive dump /archive --from-lsn 44420 --to-lsn 90000 --type WRITE,UNDO_APPEND --json',
    )
    .action(async (path: string, flags: DumpFlags) => {
      const types = flags.type?.split(',').map((s) => s.trim().toUpperCase());
      for (const t of types ?? []) if (!TYPE_NAMES.includes(t)) throw new UsageError(`--type: unknown record type ${t}`);
      const pageSize = intOption('--page-size', flags.pageSize, 65536)!;
      if (![4096, 8192, 16384, 32768, 65536].includes(pageSize)) throw new UsageError(`--page-size: must be 4096..65536, a power of 2`);
      const options = {
        path,
        fromLsn: lsnOption('--from-lsn', flags.fromLsn),
        toLsn: lsnOption('--to-lsn', flags.toLsn),
        space: intOption('--space', flags.space),
        page: intOption('--page', flags.page),
        types: types ? new Set(types) : undefined,
        pageSize,
      };
      const sink = flags.stats
        ? undefined
        : flags.json
          ? (r: Parameters<typeof describeRecord>[0]) => io.out(JSON.stringify(recordToJSON(r)))
          : (r: Parameters<typeof describeRecord>[0]) => io.out(`${formatLsn(r.lsn)} ${describeRecord(r)}`);
      const res = await runDump(options, sink, flags.json ? undefined : (what) => io.out(`# ${what}`));
      const s = res.summary;
      if (flags.json) {
        const summary: Record<string, unknown> = {
          summary: summaryToJSON(s),
          checkpointLsn: res.checkpointLsn === undefined ? null : formatLsn(res.checkpointLsn),
        };
        if (flags.stats) {
          summary['records'] = res.stats.records;
          summary['pagesTouched'] = res.stats.pagesTouched();
          summary['spaces'] = res.stats.spacesTouched();
          summary['types'] = res.stats.types();
        }
        io.out(JSON.stringify(flags.stats ? summary : { end: summary }));
        return;
      }
      if (flags.stats) {
        const types = res.stats.types();
        const w = Math.max(4, ...Object.keys(types).map((k) => k.length));
        io.out(`${'type'.padEnd(w)} ${'count'.padStart(10)} ${'bytes'.padStart(12)}`);
        for (const [name, e] of Object.entries(types)) io.out(`${name.padEnd(w)} ${String(e.count).padStart(10)} ${String(e.bytes).padStart(12)}`);
        io.out(`records ${res.stats.records}, mtrs ${s.mtrs} (${s.mtrBytes} bytes), pages touched ${res.stats.pagesTouched()} in ${res.stats.spacesTouched().length} tablespaces`);
      }
      io.out(`# ${describeEnd(s)}`);
    });
});
