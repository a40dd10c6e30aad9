import test, { type ExecutionContext } from 'ava';
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startServer, startServerOn, runWorkload, type Server } from '@ibarchive/harness';
import { FREE_PAGE, RecordReader, memoryFile, openCircularLog, readMtrBatches } from '@ibarchive/parser';
import {
  applyRecord, finalizePage, isFullCrc32, isRowFormatCompressed, logicalPageSize, pageChecksumProblem, pageLsn, type ApplyContext,
} from '../src/apply/index.js';

/**
 * Real-server checks of the appliers:
 * 1. every page a cleanly stopped server wrote passes pageChecksumProblem(),
 *    and finalizePage() of a copy (same LSN) rebuilds it byte for byte, for
 *    full_crc32 and for innodb_checksum_algorithm=crc32 tablespaces;
 * 2. pages P0 of a cleanly stopped server, plus every redo record the server
 *    wrote for them in a second run (read from its ib_logfile0 from the first
 *    run's checkpoint), give exactly the pages P1 the second clean stop wrote.
 */

const OPTS = ['--innodb-log-file-size=256M', '--innodb-undo-tablespaces=2'];

interface SpaceFile {
  path: string;
  bytes: Uint8Array;
  flags: number;
}

const u32 = (p: Uint8Array, o: number) => ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;

/** Every persistent data file of a data directory by space id (from page 0), read whole. */
async function readSpaces(datadir: string, PS: number): Promise<Map<number, SpaceFile>> {
  const out = new Map<number, SpaceFile>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.name === 'ibdata1' || /^undo\d+$/.test(e.name) || e.name.endsWith('.ibd')) {
        const bytes = new Uint8Array(await readFile(path));
        if (bytes.length < PS) continue;
        out.set(e.name === 'ibdata1' ? 0 : u32(bytes, 34), { path, bytes, flags: u32(bytes, 54) });
      }
    }
  };
  await walk(datadir);
  return out;
}

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

/** Differing offsets of two pages, as "o1,o2,..(n)". */
function diffs(a: Uint8Array, b: Uint8Array): string {
  const at: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) at.push(i);
  return `${at.slice(0, 8).join(',')}${at.length > 8 ? '..' : ''} (${at.length} bytes)`;
}

async function sql(srv: Server, statements: string[]): Promise<void> {
  for (const s of statements) await srv.exec(s);
}

function rows(table: string, from: number, to: number, width: number): string {
  const v: string[] = [];
  for (let i = from; i <= to; i++) v.push(`(${i}, ${i * 7 % 1000}, REPEAT('${String.fromCharCode(97 + (Math.abs(i) % 26))}', ${10 + ((i * 13) % width)}))`);
  return `INSERT INTO ${table} VALUES ${v.join(',')}`;
}

interface Scenario {
  /** innodb_page_size. */
  PS: number;
  /** Also run the harness workload (BLOBs, secondary indexes, partitions, system tables) in run 2. */
  workload: boolean;
  /** Least pages the replay must compare. */
  minCompared: number;
}

async function scenario(t: ExecutionContext, { PS, workload, minCompared }: Scenario): Promise<void> {
  t.timeout(8 * 60_000);
  const tables = ['ap.fc_dyn', 'ap.fc_red', 'ap.fc_cmp', 'ap.crc_dyn', 'ap.crc_red'];
  const opts = PS === 16384 ? OPTS : [...OPTS, `--innodb-page-size=${PS}`];
  const srv1 = await startServer({ mariadbdOptions: opts });
  const datadir = srv1.datadir;
  let srv2: Server | undefined;
  t.teardown(async () => {
    await srv2?.stop().catch(() => {});
    await srv1.stop().catch(() => {});
    await rm(dirname(datadir), { recursive: true, force: true });
  });

  // Run 1: tables in both checksum formats and all three row formats, then a clean stop.
  await sql(srv1, [
    'CREATE DATABASE ap',
    'CREATE TABLE ap.fc_dyn (id INT PRIMARY KEY, k INT, s VARCHAR(300), KEY(k)) ROW_FORMAT=DYNAMIC',
    'CREATE TABLE ap.fc_red (id INT PRIMARY KEY, k INT, s VARCHAR(300), KEY(k)) ROW_FORMAT=REDUNDANT',
    'CREATE TABLE ap.fc_cmp (id INT PRIMARY KEY, k INT, s VARCHAR(300), KEY(k)) ROW_FORMAT=COMPACT',
    'SET GLOBAL innodb_checksum_algorithm=crc32',
    'CREATE TABLE ap.crc_dyn (id INT PRIMARY KEY, k INT, s VARCHAR(300), KEY(k)) ROW_FORMAT=DYNAMIC',
    'CREATE TABLE ap.crc_red (id INT PRIMARY KEY, k INT, s VARCHAR(300), KEY(k)) ROW_FORMAT=REDUNDANT',
    'SET GLOBAL innodb_checksum_algorithm=full_crc32',
    ...tables.map((tb) => rows(tb, 1, 400, 200)),
  ]);
  await srv1.stop({ keepFiles: true });

  const p0 = await readSpaces(datadir, PS);
  const flagsOf = (name: string) => [...p0.values()].find((s) => s.path.endsWith(name))!.flags;
  t.true(isFullCrc32(flagsOf('fc_dyn.ibd')));
  t.false(isFullCrc32(flagsOf('crc_dyn.ibd')));
  t.false(isFullCrc32(flagsOf('crc_red.ibd')));
  for (const f of p0.values()) t.is(logicalPageSize(f.flags), PS, f.path);

  // 1. Checksums and finalizePage on every written page of every file.
  let checked = 0;
  let legacy = 0;
  const rebuilt: string[] = [];
  for (const [space, f] of p0) {
    for (let off = 0; off + PS <= f.bytes.length; off += PS) {
      const page = f.bytes.subarray(off, off + PS);
      if (isZero(page)) continue;
      const where = `${f.path} page ${off / PS}`;
      t.is(pageChecksumProblem(page, f.flags), undefined, where);
      const copy = Uint8Array.from(page);
      // The flush rewrites 0..3 (checksum, or full_crc32 key version) except on full_crc32 page 0 / TRX_SYS, and the trailer.
      const headerPage = off === 0 || (space === 0 && off / PS === 5);
      if (!isFullCrc32(f.flags) || !headerPage) copy.fill(0xa5, 0, 4);
      copy.fill(0xa5, PS - 8, PS);
      finalizePage(copy, pageLsn(page), f.flags, space, off / PS);
      if (!Buffer.from(copy).equals(Buffer.from(page))) rebuilt.push(`${where}: differs at ${diffs(copy, page)}`);
      checked++;
      if (!isFullCrc32(f.flags)) legacy++;
    }
  }
  t.deepEqual(rebuilt, [], 'finalizePage rebuilds every stored page');
  t.true(checked > 40, `${checked} pages checked`);
  t.true(legacy >= 4, `${legacy} legacy crc32 pages checked`);

  const log0 = await openCircularLog(memoryFile('ib_logfile0', new Uint8Array(await readFile(join(datadir, 'ib_logfile0')))));
  const c1 = log0.checkpoints.latest.checkpointLsn;

  // Run 2: DML on the same tables (middle inserts, range deletes, size-changing updates), the harness workload, clean stop.
  srv2 = await startServerOn(datadir, { mariadbdOptions: opts });
  await sql(srv2, [
    ...tables.map((tb) => rows(tb, 401, 700, 250)),
    ...tables.map((tb) => `DELETE FROM ${tb} WHERE id BETWEEN 100 AND 260`),
    ...tables.map((tb) => `UPDATE ${tb} SET s = REPEAT('z', 5 + id % 290), k = k + 1 WHERE id % 3 = 0`),
    ...tables.map((tb) => rows(tb, -200, -1, 280).replace('INSERT', 'INSERT IGNORE')),
    ...tables.map((tb) => `DELETE FROM ${tb} WHERE id % 5 = 1`),
  ]);
  if (workload) await runWorkload(srv2, { rounds: 2, rowsPerRound: 150, ddlRound: -1, blobMaxKB: 40, openTransactionRound: -1 });
  await srv2.stop();
  srv2 = undefined;

  const p1 = await readSpaces(datadir, PS);
  const log1 = await openCircularLog(memoryFile('ib_logfile0', new Uint8Array(await readFile(join(datadir, 'ib_logfile0')))));
  t.is(log1.header.firstLsn, log0.header.firstLsn, 'the log file was not re-created between the runs');

  // 2. Replay the log from c1 onto P0.
  interface Work { buf: Uint8Array; diskLsn: bigint; lastEnd: bigint; freed: boolean; records: number }
  const pages = new Map<string, Work>();
  const reader = new RecordReader({ pageSize: PS });
  const ctx: ApplyContext = { pageSize: PS, lsn: 0n, file: 'ib_logfile0' };
  let records = 0;
  let skipped = 0;
  let mtrs = 0;
  const kinds = new Map<string, number>();
  let end: bigint | undefined;
  for await (const b of readMtrBatches(log1, c1)) {
    if (b.kind === 'end') {
      end = b.endLsn;
      break;
    }
    for (let i = 0; i < b.count; i++) {
      const start = b.lsn + BigInt(b.starts[i]!);
      const mtrEnd = b.lsn + BigInt(b.ends[i]!);
      reader.reset(b.bytes, b.starts[i]!, b.recordsEnds[i]!, start, mtrEnd);
      mtrs++;
      while (reader.next()) {
        if (reader.isFileRecord) continue;
        const key = `${reader.spaceId}:${reader.pageNo}`;
        let w = pages.get(key);
        if (w === undefined) {
          const f = p0.get(reader.spaceId);
          const off = reader.pageNo * PS;
          const buf = new Uint8Array(PS);
          if (f && off + PS <= f.bytes.length) buf.set(f.bytes.subarray(off, off + PS));
          w = { buf, diskLsn: pageLsn(buf), lastEnd: 0n, freed: false, records: 0 };
          pages.set(key, w);
        }
        if (start < w.diskLsn) {
          skipped++;
          continue;
        }
        ctx.lsn = start;
        applyRecord(w.buf, reader, ctx);
        w.freed = reader.type === FREE_PAGE;
        w.lastEnd = mtrEnd;
        w.records++;
        records++;
        const name = reader.type === 0x20 ? `EXT${reader.subtype}` : `T${reader.type.toString(16)}`;
        kinds.set(name, (kinds.get(name) ?? 0) + 1);
      }
    }
  }
  t.truthy(end);
  t.is(skipped, 0, 'no record older than its page on disk after the first checkpoint');
  t.log(`replayed ${records} records of ${mtrs} mtrs from LSN ${c1} to ${end} on ${pages.size} pages`, Object.fromEntries(kinds));
  for (const k of ['EXT3', 'EXT4', 'EXT6', 'EXT8', 'EXT9', 'T30', 'T40', 'T50', ...(workload ? ['EXT5', 'EXT7'] : [])]) {
    t.true((kinds.get(k) ?? 0) > 0, `log has ${k} records`);
  }

  let compared = 0;
  let comparedLegacy = 0;
  let comparedRedundant = 0;
  const mismatches: string[] = [];
  for (const [key, w] of pages) {
    if (w.freed || w.records === 0) continue;
    const [space, pageNo] = key.split(':').map(Number) as [number, number];
    const f = p1.get(space);
    if (f === undefined) {
      mismatches.push(`${key}: no file after run 2`);
      continue;
    }
    if (isRowFormatCompressed(f.flags)) continue;
    finalizePage(w.buf, w.lastEnd, f.flags, space, pageNo);
    const actual = f.bytes.subarray(pageNo * PS, pageNo * PS + PS);
    compared++;
    if (!isFullCrc32(f.flags)) comparedLegacy++;
    if ((w.buf[42]! & 0x80) === 0 && (w.buf[24]! << 8 | w.buf[25]!) === 17855) comparedRedundant++;
    if (!Buffer.from(w.buf).equals(Buffer.from(actual))) {
      mismatches.push(`${key} (${f.path.split('/').slice(-2).join('/')}, ${w.records} records): differs at ${diffs(w.buf, actual)}`);
    }
  }
  t.log(`${compared} replayed pages compared with the server's (${comparedLegacy} crc32, ${comparedRedundant} REDUNDANT index pages)`);
  t.true(compared >= minCompared, `${compared} pages compared`);
  t.true(comparedLegacy >= 2 && comparedRedundant >= 2, 'legacy-checksum and REDUNDANT pages are among them');
  t.deepEqual(mismatches, []);
}

test.serial('16K pages: checksums and finalizePage on real pages; replaying run 2 (DML + workload) onto P0 gives P1', (t) =>
  scenario(t, { PS: 16384, workload: true, minCompared: 200 }));

test.serial('4K pages: the same, without the workload', (t) => scenario(t, { PS: 4096, workload: false, minCompared: 60 }));

test.serial('64K pages: the same, without the workload', (t) => scenario(t, { PS: 65536, workload: false, minCompared: 20 }));
