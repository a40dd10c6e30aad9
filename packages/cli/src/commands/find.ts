import { Option } from 'commander';
import { type FileEvent, type FileEventKind, findFileEvents, formatTime, openArchive } from '@ibarchive/log-archiver';
import { formatLsn, type Lsn, parseLsn, UsageError } from '@ibarchive/parser';
import { addCommand } from '../program.js';
import { jsonLine } from '../verify/json.js';

interface FindFlags {
  archiveDir: string;
  table?: string;
  event?: FileEventKind[];
  fromLsn?: string;
  toLsn?: string;
  json?: boolean;
}

function lsnFlag(text: string | undefined, flag: string): Lsn | undefined {
  if (text === undefined) return undefined;
  const v = parseLsn(text);
  if (v === undefined) throw new UsageError(`${flag}: not an LSN: ${text}`);
  return v;
}

const BASIS: Record<FileEvent['restoreBeforeBasis'], string> = {
  commit: ', the commit of the drop',
  'ddl-start': ', the start of the TRUNCATE/ALTER it belongs to',
  mtr: '',
};

function describe(e: FileEvent): string {
  const when = e.time ? `~${formatTime(e.time.timeMs)}` : 'time unknown (no later sample)';
  const what = e.kind === 'rename' ? `rename ${e.name} -> ${e.newName}` : `${e.kind} ${e.name}`;
  return `LSN ${formatLsn(e.lsn)}  ${when}  space ${e.spaceId}  ${what}  (restore just before: --to-archived-lsn ${formatLsn(e.restoreBeforeLsn)}${BASIS[e.restoreBeforeBasis]})`;
}

function eventJson(e: FileEvent): object {
  return {
    event: e.kind,
    lsn: e.lsn,
    spaceId: e.spaceId,
    name: e.name,
    newName: e.newName ?? null,
    mtrStartLsn: e.mtrStartLsn,
    mtrEndLsn: e.mtrEndLsn,
    restoreBeforeLsn: e.restoreBeforeLsn,
    restoreBeforeBasis: e.restoreBeforeBasis,
    time: e.time ? new Date(e.time.timeMs).toISOString() : null,
    timeEstimated: true,
    timeNotBefore: e.time?.notBeforeMs === undefined ? null : new Date(e.time.notBeforeMs).toISOString(),
    timeNotAfter: e.time ? new Date(e.time.notAfterMs).toISOString() : null,
  };
}

addCommand((program, io) => {
  program
    .command('find')
    .summary('list CREATE/DROP/RENAME of tables in the archive, with the LSN just before each')
    .description(
      'List tablespace events in the archived log: FILE_CREATE, FILE_DELETE and FILE_RENAME records, with ' +
        'their LSN, the time (estimated by interpolating the archive\'s time samples), the file names, and the ' +
        'LSN to pass to prepare --to-archived-lsn to land just before the event (the start of the mtr that ' +
        'holds it; for a DROP, the start of the mtr that committed the drop, found from the undo log; for the events of a TRUNCATE or a table-rebuilding ALTER, the start of the statement\'s first file event, since a point inside it is not a consistent state). ' +
        'Answers "when was this table dropped or renamed?". What MariaDB 10.11 logs: DROP TABLE is one ' +
        'FILE_DELETE in its own mtr right after the mtr that commits the drop (so restoring to the FILE_DELETE ' +
        'itself would leave the table dropped); RENAME TABLE a FILE_RENAME; TRUNCATE is ' +
        'rename to #sql-ibN + create + delete of #sql-ibN; an ALTER TABLE rebuild creates #sql-alter-*, renames ' +
        'the old file away and the new one into place, and deletes the old.',
    )
    .requiredOption('--archive-dir <dir>', 'the archive directory')
    .option('--table <db/name>', 'only events on this table\'s .ibd (old or new name of a rename)')
    .addOption(new Option('--event <kind...>', 'only these events').choices(['create', 'delete', 'rename']))
    .option('--from-lsn <lsn>', 'start at this LSN (the start of a segment)')
    .option('--to-lsn <lsn>', 'stop before the first mtr starting at or after this LSN')
    .option('--json', 'one JSON object per event, then a summary object')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ibarchive find --archive-dir /srv/redo-archive --table shop/orders --event delete\n' +
        '  ibarchive find --archive-dir /srv/redo-archive --event rename --json',
    )
    .action(async (flags: FindFlags) => {
      const table = flags.table?.replace(/\.ibd$/, '');
      if (table !== undefined && !/^[^/]+\/[^/]+$/.test(table)) throw new UsageError(`--table: expected db/name: ${flags.table}`);
      const archive = await openArchive(flags.archiveDir);
      const r = await findFileEvents(archive, {
        table,
        kinds: flags.event,
        fromLsn: lsnFlag(flags.fromLsn, '--from-lsn'),
        toLsn: lsnFlag(flags.toLsn, '--to-lsn'),
      });
      const searched = r.searched.map((s) => `${formatLsn(s.from)}..${formatLsn(s.to)}`).join(', ') || 'nothing';
      if (flags.json) {
        for (const e of r.events) io.out(jsonLine(eventJson(e)));
        io.out(jsonLine({ summary: { events: r.events.length, mtrs: r.mtrs, searched: r.searched, gaps: archive.gaps.map((g) => ({ from: g.from, to: g.to, kind: g.kind })) } }));
        return;
      }
      for (const e of r.events) io.out(describe(e));
      io.out(`# ${r.events.length} event(s); searched LSN ${searched} (${r.mtrs} mtrs); times are estimates`);
      for (const g of archive.gaps) io.out(`# not searchable: LSN ${formatLsn(g.from)}..${formatLsn(g.to)} (${g.kind === 'recorded' ? 'recorded overrun' : 'missing segment'})`);
    });
});
