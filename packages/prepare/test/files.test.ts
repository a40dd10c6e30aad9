import test from 'ava';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyBackupDdl, layoutAfterDdl, listFiles, planBackupDdl } from '../src/backup-ddl.js';
import { parseBackupCnf } from '../src/backup-cnf.js';
import { formatCheckpointsFile, parseCheckpointsFile } from '../src/checkpoints-file.js';
import { decodeJournal, Journal, JOURNAL_FILE, journalParts } from '../src/journal.js';
import { alignedBuffer } from '../src/aligned-memory.js';
import { crc32c } from '@ibarchive/parser';
import { describeTablespace } from '../src/tablespaces.js';
import { inspectBase } from '../src/base.js';
import { unsupportedFlags, pageSizeOfFlags } from '../src/fsp.js';
import { PageStore } from '../src/page-store.js';
import type { FileOp } from '../src/plan.js';
import type { TablespaceScan } from '../src/tablespaces.js';
import { runFileOps } from '../src/write-pages.js';
import { FILE_OPS_FILE } from '../src/file-ops-progress.js';

test('xtrabackup_checkpoints is parsed and rewritten with one value changed', (t) => {
  const text = 'backup_type = full-backuped\nfrom_lsn = 0\nto_lsn = 21745924\nlast_lsn = 21746311\nrecover_binlog_info = 0\n';
  const f = parseCheckpointsFile('xtrabackup_checkpoints', text);
  t.is(f.backupType, 'full-backuped');
  t.is(f.toLsn, 21745924n);
  t.is(f.lastLsn, 21746311n);
  t.is(formatCheckpointsFile(f, { backup_type: 'log-applied' }), text.replace('full-backuped', 'log-applied'));
});

test('backup.cnf gives the recovery start and target', (t) => {
  const b = parseBackupCnf('[mariadbd]\ninnodb_log_recovery_start=21745924\ninnodb-log-recovery-target = 21746311\n# checkpoint=1\n');
  t.is(b.recoveryStart, 21745924n);
  t.is(b.recoveryTarget, 21746311n);
  t.is(parseBackupCnf('[x]\n').recoveryStart, undefined);
});

test('journal round-trips and rejects a torn or truncated journal; a version 1 journal still decodes', (t) => {
  const ps = 4096;
  const page = (b: number) => new Uint8Array(ps).fill(b);
  const entries = [
    { path: 'ibdata1', pageNo: 5, page: page(1) },
    { path: 'db/t#P#p0.ibd', pageNo: 70000, page: page(2) },
  ];
  const bytes = Buffer.concat(journalParts(entries, ps));
  // Header, pages and trailer each start on a 4096-byte boundary (O_DIRECT writes them as they are).
  t.is(bytes.length, 4096 + 2 * ps + 4096);
  const back = decodeJournal(bytes)!;
  t.deepEqual(back.map((e) => [e.path, e.pageNo, e.page[0], e.page[ps - 1]]), [['ibdata1', 5, 1, 1], ['db/t#P#p0.ibd', 70000, 2, 2]]);
  t.is(decodeJournal(bytes.subarray(0, bytes.length - 4096)), undefined);
  for (const at of [30, 4096 + 100, 4096 + ps + 7, bytes.length - 4096 + 1]) {
    const torn = bytes.slice();
    torn[at] ^= 0xff;
    t.is(decodeJournal(torn), undefined, `byte ${at} changed`);
  }
  t.is(decodeJournal(new Uint8Array(0)), undefined);
  t.is(decodeJournal(new Uint8Array(8192)), undefined);
  // Version 1, as an older ibarchive left it: an entry's header before each page, then CRC and trailer.
  const v1: number[] = [...Buffer.from('IBARJNL1'), 0, 0, 0, 1, 0, 0, 0x10, 0];
  v1.push(0, 7, ...Buffer.from('ibdata1'), 0, 0, 0, 9, ...page(3));
  const crc = crc32c(Uint8Array.from(v1));
  v1.push(crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff, ...Buffer.from('IBAREND1'));
  t.deepEqual(decodeJournal(Uint8Array.from(v1))!.map((e) => [e.path, e.pageNo, e.page.length, e.page[0]]), [['ibdata1', 9, ps, 3]]);
  v1[40] ^= 1;
  t.is(decodeJournal(Uint8Array.from(v1)), undefined);
});

test('the journal on disk is journalParts written out; a shorter group overwrites a longer one; clear voids it', async (t) => {
  const ps = 4096;
  // Pages in aligned memory (as the page cache holds them: written as they are) and in plain memory (copied).
  const arena = new Uint8Array(alignedBuffer(1500 * ps, true));
  const group = (n: number, fill: number) =>
    Array.from({ length: n }, (_, i) => {
      const page = i % 3 === 0 ? new Uint8Array(ps) : arena.subarray(i * ps, (i + 1) * ps);
      return { path: `db/t${i % 7}.ibd`, pageNo: i * 3, page: page.fill((i + fill) & 0xff) };
    });
  const entries = group(1500, 0);
  const whole = Buffer.concat(journalParts(entries, ps));
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-journal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const j = new Journal(dir);
  await j.write(entries, ps);
  const onDisk = await readFile(join(dir, JOURNAL_FILE));
  t.true(onDisk.equals(whole));
  t.deepEqual(decodeJournal(onDisk)!.map((e) => [e.path, e.pageNo, e.page[0]]), entries.map((e) => [e.path, e.pageNo, e.page[0]]));
  // The file is overwritten in place: the shorter group is followed by the older group's bytes.
  const shorter = group(10, 9);
  await j.write(shorter, ps);
  const again = await readFile(join(dir, JOURNAL_FILE));
  t.is(again.length, onDisk.length);
  t.deepEqual(decodeJournal(again)!.map((e) => [e.path, e.pageNo, e.page[0]]), shorter.map((e) => [e.path, e.pageNo, e.page[0]]));
  await j.clear();
  t.is(decodeJournal(await readFile(join(dir, JOURNAL_FILE))), undefined);
  await j.close();
  // Buffered (no O_DIRECT on the file system): the same bytes.
  const b = new Journal(dir, false);
  await b.write(group(1500, 0), ps);
  await b.close();
  t.true((await readFile(join(dir, JOURNAL_FILE))).equals(onDisk));
});

test('backup DDL markers: .del, .ren (incl. a swap) and .new, idempotent when repeated', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-ddl-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'db'));
  const put = (f: string, s: string) => writeFile(join(dir, f), s);
  await put('db/gone.ibd', 'gone');
  await put('db/gone.del', '');
  await put('db/a.ibd', 'A');
  await put('db/b.ibd', 'B');
  await put('db/a.ren', 'db/b');
  await put('db/b.ren', 'db/a.ibd');
  await put('db/n.ibd', 'old');
  await put('db/n.new', 'new');
  const files = await listFiles(dir);
  const ops = await planBackupDdl(dir, files);
  const layout = layoutAfterDdl(files, ops);
  t.deepEqual([...layout.entries()].sort(), [['db/a.ibd', 'db/b.ibd'], ['db/b.ibd', 'db/a.ibd'], ['db/n.ibd', 'db/n.new']]);
  await applyBackupDdl(dir, ops);
  await applyBackupDdl(dir, await planBackupDdl(dir));
  t.deepEqual(await listFiles(dir), ['db/a.ibd', 'db/b.ibd', 'db/n.ibd']);
  t.is(await readFile(join(dir, 'db/a.ibd'), 'utf8'), 'B');
  t.is(await readFile(join(dir, 'db/b.ibd'), 'utf8'), 'A');
  t.is(await readFile(join(dir, 'db/n.ibd'), 'utf8'), 'new');
});

test('unsupported tablespaces are named', (t) => {
  t.is(unsupportedFlags(0x15), undefined);
  t.is(unsupportedFlags(0x21), undefined);
  t.is(unsupportedFlags(0x29), 'ROW_FORMAT=COMPRESSED');
  t.is(unsupportedFlags(0x35), 'page_compressed');
  t.is(unsupportedFlags(0x10021), 'page_compressed');
  t.is(pageSizeOfFlags(0x15), 16384);
  t.is(pageSizeOfFlags(0x13), 4096);
  t.is(describeTablespace('shop/orders#P#p2019.ibd'), 'table shop.orders (partition p2019) (shop/orders#P#p2019.ibd)');
});

test('inspectBase: BACKUP SERVER layout starts at innodb_log_recovery_start; prepared and unknown dirs are refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-base-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await t.throwsAsync(inspectBase(dir), { message: /is not a mariadb-backup directory \(no xtrabackup_checkpoints\) nor a BACKUP SERVER copy/ });
  await writeFile(join(dir, 'backup.cnf'), '[mariadbd]\ninnodb_log_recovery_start=5000000\ninnodb_log_recovery_target=5100000\n');
  const b = await inspectBase(dir);
  t.is(b.kind, 'backup-server');
  t.is(b.startLsn, 5000000n);
  t.is(b.baseEndLsn, 5100000n);
  t.deepEqual(b.ownLogs, []);
  await rm(join(dir, 'backup.cnf'));
  await writeFile(join(dir, 'xtrabackup_checkpoints'), 'backup_type = log-applied\nfrom_lsn = 0\nto_lsn = 1\nlast_lsn = 2\n');
  await t.throwsAsync(inspectBase(dir), { message: /was already prepared \(xtrabackup_checkpoints: backup_type = log-applied\)/ });
});

test('file operations after a kill: a re-run goes on from the last one recorded, with the files where they were then', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-fileops-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'db'));
  const ops: FileOp[] = [
    { kind: 'create', spaceId: 13, name: './db/a.ibd', lsn: 1n },
    { kind: 'rename', spaceId: 13, name: './db/a.ibd', newName: './db/b.ibd', lsn: 2n },
    { kind: 'rename', spaceId: 13, name: './db/b.ibd', newName: './db/c.ibd', lsn: 3n },
  ];
  const scan = (files: string[]): TablespaceScan => ({
    pageSize: 16384,
    files: files.map((path) => ({ path, source: path, spaceId: undefined, flags: undefined, fspSize: 0, fileBytes: 0, kind: 'table' as const })),
    byId: new Map(),
  });
  const progress = (done: number, lastLsn: bigint, bindings: Array<[number, string]>) =>
    writeFile(join(dir, FILE_OPS_FILE), JSON.stringify({ version: 1, startLsn: '1', done, lastLsn: String(lastLsn), lastSpace: 13, bindings }));
  const rerun = async (list: FileOp[], files: string[]) => {
    const store = new PageStore(dir, 16384, scan(files));
    try {
      await runFileOps(dir, 1n, list, store);
    } finally {
      await store.close();
    }
  };

  // A fresh run: created, then renamed twice; the progress says all three are done.
  await rerun(ops, []);
  t.deepEqual(await listFiles(dir), ['db/c.ibd']);
  t.like(JSON.parse(await readFile(join(dir, FILE_OPS_FILE), 'utf8')), { done: 3, bindings: [[13, 'db/c.ibd']] });

  // Killed after the create and the first rename were recorded (page 0 never written).
  await rm(join(dir, 'db/c.ibd'));
  await writeFile(join(dir, 'db/b.ibd'), '');
  await writeFile(join(dir, 'db/b.frm'), 'definition');
  await progress(2, 2n, [[13, 'db/b.ibd']]);
  await rerun(ops, ['db/b.ibd']);
  t.deepEqual((await listFiles(dir)).sort(), ['db/c.frm', 'db/c.ibd']);
  t.is(await readFile(join(dir, 'db/c.frm'), 'utf8'), 'definition');

  // Killed in the first rename, the file moved but not the .frm, nothing recorded: it is found done.
  await rm(join(dir, 'db'), { recursive: true });
  await mkdir(join(dir, 'db'));
  await writeFile(join(dir, 'db/b.ibd'), '');
  await writeFile(join(dir, 'db/a.frm'), 'definition');
  await progress(1, 1n, [[13, 'db/a.ibd']]);
  await rerun(ops, ['db/b.ibd']);
  t.deepEqual((await listFiles(dir)).sort(), ['db/c.frm', 'db/c.ibd']);

  // A name reused by a later space: killed once space 14 was created as db/b.ibd (space 13 having
  // moved on to db/x.ibd). The re-run must not replay space 13's create and renames onto it.
  const reused: FileOp[] = [
    ...ops.slice(0, 2),
    { kind: 'rename', spaceId: 13, name: './db/b.ibd', newName: './db/x.ibd', lsn: 3n },
    { kind: 'create', spaceId: 14, name: './db/b.ibd', lsn: 4n },
    { kind: 'delete', spaceId: 13, name: './db/x.ibd', lsn: 5n },
  ];
  await rm(join(dir, 'db'), { recursive: true });
  await mkdir(join(dir, 'db'));
  await writeFile(join(dir, 'db/x.ibd'), '');
  await writeFile(join(dir, 'db/b.ibd'), 'space 14');
  await writeFile(join(dir, FILE_OPS_FILE), JSON.stringify({ version: 1, startLsn: '1', done: 4, lastLsn: '4', lastSpace: 14, bindings: [[13, 'db/x.ibd'], [14, 'db/b.ibd']] }));
  await rerun(reused, ['db/x.ibd', 'db/b.ibd']);
  t.deepEqual(await listFiles(dir), ['db/b.ibd']);
  t.is(await readFile(join(dir, 'db/b.ibd'), 'utf8'), 'space 14');

  // Without a record of the progress (or one of another run), that case is refused, not guessed.
  await writeFile(join(dir, 'db/x.ibd'), '');
  await rm(join(dir, FILE_OPS_FILE));
  await writeFile(join(dir, 'db/b.ibd'), 'space 14');
  await t.throwsAsync(rerun([...ops.slice(0, 2), { kind: 'create', spaceId: 14, name: './db/b.ibd', lsn: 4n }], ['db/b.ibd']), {
    message: /rename of space 13 from db\/a\.ibd to db\/b\.ibd: the target file exists/,
  });
  t.is(await readFile(join(dir, 'db/b.ibd'), 'utf8'), 'space 14');
});
