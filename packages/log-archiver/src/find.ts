import {
  EXTENDED,
  ExtendedSubtype,
  FILE_CREATE,
  FILE_DELETE,
  FILE_RENAME,
  formatLsn,
  type Lsn,
  LogGapError,
  readMtrBatches,
  RecordReader,
  WRITE,
} from '@ibarchive/parser';
import type { Archive } from './archive-reader.js';
import { archiveSamples, estimateTime, type TimeEstimate } from './time-target.js';

/**
 * Tablespace events from the log's file records. What MariaDB 10.11 writes
 * (observed on 10.11.19 with `ibarchive dump`):
 *   CREATE TABLE      FILE_CREATE ./db/t.ibd
 *   DROP TABLE        FILE_DELETE ./db/t.ibd, in its own mtr written after the
 *                     mtr that commits the dropping transaction: a restore
 *                     to the FILE_DELETE's mtr start has the drop committed
 *                     (the table is gone from the dictionary, its .ibd
 *                     orphaned). "Just before the drop" is the start of the
 *                     commit mtr, found by findDropCommit below.
 *   RENAME TABLE      FILE_RENAME ./db/a.ibd -> ./db/b.ibd
 *   TRUNCATE TABLE    FILE_RENAME t -> #sql-ibN, FILE_CREATE t (new space id),
 *                     FILE_DELETE #sql-ibN
 *   ALTER (rebuild)   FILE_CREATE #sql-alter-..., FILE_RENAME t -> #sql-backup-...,
 *                     FILE_RENAME #sql-alter-... -> t, FILE_DELETE #sql-backup-...
 *                     (ALTER TABLE ... FORCE: t -> #sql-ibN instead of #sql-backup)
 */

/** Event kinds `find` reports. */
export type FileEventKind = 'create' | 'delete' | 'rename';

/** One file record found in the archive. */
export interface FileEvent {
  kind: FileEventKind;
  spaceId: number;
  /** File name as logged (`./db/t.ibd`); for a rename the old name. */
  name: string;
  /** New name of a rename. */
  newName: string | undefined;
  /** LSN of the record. */
  lsn: Lsn;
  /** Start LSN of the mtr holding the record. */
  mtrStartLsn: Lsn;
  /**
   * prepare --to-archived-lsn this to land just before the event: for a
   * delete whose dropping transaction's commit was found, the start of the
   * commit mtr; for an event of a TRUNCATE or table-rebuilding ALTER, the
   * start of that statement's first file event; otherwise mtrStartLsn.
   */
  restoreBeforeLsn: Lsn;
  /** How restoreBeforeLsn was chosen: the drop's commit, the first mtr of a TRUNCATE/ALTER, or the record's own mtr. */
  restoreBeforeBasis: 'commit' | 'ddl-start' | 'mtr';
  /** End LSN of that mtr: the first state that includes the event. */
  mtrEndLsn: Lsn;
  /** When it happened, interpolated from the archive's time samples (an estimate). */
  time: TimeEstimate | undefined;
}

/** Filters of findFileEvents. */
export interface FindOptions {
  /** `db/name`: events whose (old or new) file name is that table's .ibd. */
  table?: string | undefined;
  kinds?: FileEventKind[] | undefined;
  fromLsn?: Lsn | undefined;
  toLsn?: Lsn | undefined;
  onProgress?: ((lsn: Lsn) => void) | undefined;
}

/** Result: events, and the ranges that could not be searched (gaps). */
export interface FindResult {
  events: FileEvent[];
  searched: { from: Lsn; to: Lsn }[];
  mtrs: number;
}

const KIND: Record<number, FileEventKind> = { [FILE_CREATE]: 'create', [FILE_DELETE]: 'delete', [FILE_RENAME]: 'rename' };

/** True if a logged file name is the .ibd of table `db/name` (also partitions `name#P#...`). */
export function matchesTable(fileName: string, table: string): boolean {
  const n = fileName.replace(/^\.\//, '').replace(/\.ibd$/, '');
  return n === table || n.startsWith(`${table}#P#`) || n.startsWith(`${table}#p#`);
}

/**
 * Scans every contiguous range of the archive for FILE_CREATE, FILE_DELETE
 * and FILE_RENAME records. Throws corruption errors (as the decoder does) if
 * the log is damaged.
 */
export async function findFileEvents(archive: Archive, opts: FindOptions = {}): Promise<FindResult> {
  const samples = archiveSamples(archive);
  const source = archive.source();
  const reader = new RecordReader({ source });
  const events: FileEvent[] = [];
  const searched: { from: Lsn; to: Lsn }[] = [];
  let mtrs = 0;
  for (const range of archive.coverage) {
    const from = opts.fromLsn !== undefined && opts.fromLsn > range.from ? opts.fromLsn : range.from;
    const to = opts.toLsn !== undefined && opts.toLsn < range.to ? opts.toLsn : range.to;
    if (from >= to) continue;
    if (from !== range.from && !archive.segments.some((s) => s.startLsn === from)) {
      throw new LogGapError(`--from-lsn ${formatLsn(from)} must be the start of a segment or of the archive`, { lsn: from });
    }
    let reached = from;
    for await (const b of readMtrBatches(source, from, { toLsn: to })) {
      if (b.kind === 'end') {
        reached = b.endLsn;
        break;
      }
      mtrs += b.count;
      for (let i = 0; i < b.count; i++) {
        const start = b.lsn + BigInt(b.starts[i]!);
        const end = b.lsn + BigInt(b.ends[i]!);
        reader.reset(b.bytes, b.starts[i]!, b.recordsEnds[i]!, start, end);
        while (reader.next()) {
          const kind = KIND[reader.type];
          if (kind === undefined) continue;
          const name = reader.fileName();
          const newName = kind === 'rename' ? reader.newFileName() : undefined;
          const lsn = reader.lsn;
          events.push({
            kind,
            spaceId: reader.spaceId,
            name,
            newName,
            lsn,
            mtrStartLsn: start,
            mtrEndLsn: end,
            restoreBeforeLsn: start,
            restoreBeforeBasis: 'mtr',
            time: estimateTime(samples, lsn),
          });
        }
      }
      opts.onProgress?.(b.lsn + BigInt(b.ends[b.count - 1] ?? 0));
    }
    searched.push({ from, to: reached });
  }
  groupDdl(events);
  const wanted = events.filter(
    (e) =>
      (!opts.kinds || opts.kinds.includes(e.kind)) &&
      (!opts.table || matchesTable(e.name, opts.table) || (e.newName !== undefined && matchesTable(e.newName, opts.table))),
  );
  for (const e of wanted) {
    if (e.kind !== 'delete' || e.restoreBeforeBasis !== 'mtr') continue;
    const commit = await findDropCommit(archive, e);
    if (commit !== undefined) {
      e.restoreBeforeLsn = commit;
      e.restoreBeforeBasis = 'commit';
    }
  }
  return { events: wanted, searched, mtrs };
}

const isTemp = (name: string) => /(^|\/)#sql/i.test(name);

/**
 * Links the file events of one DDL statement that works through temporary
 * `#sql*` files (TRUNCATE, table-rebuilding ALTER): a rename of t to a #sql
 * name, the create of t or the rename of another #sql file to t that
 * follows, and the delete of the #sql file. A restore point inside such a
 * statement is not a consistent state (the server's DDL log, not the redo
 * log, finishes it), so every event of the group gets the start of its first
 * mtr as restoreBeforeLsn.
 */
function groupDdl(events: FileEvent[]): void {
  interface Group {
    members: FileEvent[];
    tmp: Set<string>;
    moved: Set<string>;
  }
  const byTmp = new Map<string, Group>();
  const byMoved = new Map<string, Group>();
  const all = new Set<Group>();
  const open = (e: FileEvent): Group => {
    const g: Group = { members: [e], tmp: new Set(), moved: new Set() };
    all.add(g);
    return g;
  };
  const merge = (a: Group, b: Group): Group => {
    if (a === b) return a;
    for (const m of b.members) a.members.push(m);
    for (const n of b.tmp) (a.tmp.add(n), byTmp.set(n, a));
    for (const n of b.moved) (a.moved.add(n), byMoved.set(n, a));
    all.delete(b);
    return a;
  };
  const closeIfDone = (g: Group) => {
    if (g.tmp.size > 0) return;
    for (const n of g.moved) if (byMoved.get(n) === g) byMoved.delete(n);
  };
  for (const e of events) {
    if (e.kind === 'create') {
      if (isTemp(e.name)) {
        const g = open(e);
        g.tmp.add(e.name);
        byTmp.set(e.name, g);
      } else {
        byMoved.get(e.name)?.members.push(e);
      }
    } else if (e.kind === 'rename') {
      const to = e.newName!;
      let g = isTemp(e.name) ? byTmp.get(e.name) : undefined;
      if (g) {
        g.members.push(e);
        g.tmp.delete(e.name);
        byTmp.delete(e.name);
      } else if (isTemp(to)) {
        g = byMoved.get(e.name) ?? open(e);
        if (!g.members.includes(e)) g.members.push(e);
        g.moved.add(e.name);
        byMoved.set(e.name, g);
      }
      if (!g) continue;
      if (isTemp(to)) {
        g.tmp.add(to);
        byTmp.set(to, g);
      } else {
        const other = byMoved.get(to);
        if (other) g = merge(other, g);
      }
      closeIfDone(g);
    } else {
      const g = byTmp.get(e.name);
      if (!g) continue;
      g.members.push(e);
      g.tmp.delete(e.name);
      byTmp.delete(e.name);
      closeIfDone(g);
    }
  }
  for (const g of all) {
    if (g.members.length < 2) continue;
    let start = g.members[0]!.mtrStartLsn;
    for (const m of g.members) if (m.mtrStartLsn < start) start = m.mtrStartLsn;
    for (const m of g.members) {
      m.restoreBeforeLsn = start;
      m.restoreBeforeBasis = 'ddl-start';
    }
  }
}

/** Undo segment header state field: FIL_PAGE_DATA (38) + TRX_UNDO_PAGE_HDR_SIZE (18) + TRX_UNDO_STATE (0), 2 bytes. */
const TRX_UNDO_STATE_OFFSET = 56;
const TRX_UNDO_ACTIVE = 1;
/** How far before the FILE_DELETE the dropping transaction's undo records are looked for. */
const DROP_WINDOW = 4n << 20n;

/**
 * The start of the mtr that committed the transaction which dropped the
 * table of a FILE_DELETE: the dropping transaction delete-marks the table's
 * SYS_TABLES row, so its undo log receives an UNDO_APPEND holding the table
 * name as a length-prefixed field ("\x05d1/t1"); the commit is the first
 * later WRITE that changes that undo page's TRX_UNDO_STATE from
 * TRX_UNDO_ACTIVE. Searched from the segment boundary at least DROP_WINDOW
 * before the FILE_DELETE. Undefined if not found.
 */
export async function findDropCommit(archive: Archive, e: FileEvent): Promise<Lsn | undefined> {
  const table = e.name.replace(/^\.\//, '').replace(/\.ibd$/, '');
  const nameBytes = Buffer.from(table, 'latin1');
  if (nameBytes.length >= 128) return undefined;
  const needle = Buffer.concat([Buffer.from([nameBytes.length]), nameBytes]);
  const range = archive.coverage.find((c) => c.from <= e.mtrStartLsn && e.mtrStartLsn < c.to);
  if (!range) return undefined;
  let from = range.from;
  for (const s of archive.segments) if (s.startLsn >= range.from && s.startLsn + DROP_WINDOW <= e.mtrStartLsn) from = s.startLsn;
  const source = archive.source();
  const reader = new RecordReader({ source });
  let undoPage: { space: number; page: number } | undefined;
  let commit: Lsn | undefined;
  for await (const b of readMtrBatches(source, from, { toLsn: e.mtrStartLsn })) {
    if (b.kind === 'end') break;
    for (let i = 0; i < b.count; i++) {
      const start = b.lsn + BigInt(b.starts[i]!);
      reader.reset(b.bytes, b.starts[i]!, b.recordsEnds[i]!, start, b.lsn + BigInt(b.ends[i]!));
      while (reader.next()) {
        if (reader.type === EXTENDED && reader.subtype === ExtendedSubtype.UNDO_APPEND) {
          const payload = Buffer.from(b.bytes.buffer, b.bytes.byteOffset + reader.dataStart, reader.dataEnd - reader.dataStart);
          if (payload.indexOf(needle) >= 0) {
            undoPage = { space: reader.spaceId, page: reader.pageNo };
            commit = undefined;
          }
        } else if (
          reader.type === WRITE &&
          undoPage !== undefined &&
          commit === undefined &&
          reader.spaceId === undoPage.space &&
          reader.pageNo === undoPage.page &&
          reader.offset <= TRX_UNDO_STATE_OFFSET + 1 &&
          reader.offset + reader.length > TRX_UNDO_STATE_OFFSET + 1
        ) {
          const lo = b.bytes[reader.dataStart + TRX_UNDO_STATE_OFFSET + 1 - reader.offset]!;
          const hi = reader.offset <= TRX_UNDO_STATE_OFFSET ? b.bytes[reader.dataStart + TRX_UNDO_STATE_OFFSET - reader.offset]! : 0;
          if (((hi << 8) | lo) !== TRX_UNDO_ACTIVE) commit = start;
        }
      }
    }
  }
  return commit;
}
