import test from 'ava';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startServerOn, type Server } from '@ibarchive/harness';
import { frmFollowsRename } from '../src/frm.js';
import { copyDir, prepareDir } from './helpers.js';

test('frm follows user-visible renames only (not #sql temporaries or partitions)', (t) => {
  t.true(frmFollowsRename('d/a.ibd', 'd/b.ibd'));
  t.true(frmFollowsRename('d1/a.ibd', 'd2/b.ibd'));
  t.false(frmFollowsRename('d/t.ibd', 'd/#sql-ib25.ibd'), 'TRUNCATE moves the old tablespace aside');
  t.false(frmFollowsRename('d/#sql-alter-1-2.ibd', 'd/t.ibd'), 'ALTER rebuild installs the new tablespace');
  t.false(frmFollowsRename('d/p#P#p0.ibd', 'd/q#P#p0.ibd'), 'partitions share one .frm');
});

/** Reads LSN, checksums, LSN until the LSN is stable: the checksums belong to that LSN. */
async function quietPoint(srv: Server, tables: string[]): Promise<{ lsn: bigint; checksums: Record<string, string> }> {
  for (let i = 0; i < 50; i++) {
    const lsn = await srv.lsn();
    const checksums = await srv.checksums(tables);
    if ((await srv.lsn()) === lsn) return { lsn, checksums };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server never went quiet');
}

test('a restore past RENAME TABLE (and TRUNCATE) gives a usable table under its new name', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'ibarchive-frm-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  const base = join(work, 'base');
  const serverLog = join(work, 'server_ib_logfile0');
  let point: { lsn: bigint; checksums: Record<string, string> };
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=64M'] });
  try {
    await srv.exec(
      'CREATE DATABASE d; CREATE DATABASE e; USE d;' +
        'CREATE TABLE d.a (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB;' +
        'CREATE TABLE d.c (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB;' +
        "INSERT INTO d.a SELECT seq, CONCAT('a', seq) FROM seq_1_to_2000;" +
        "INSERT INTO d.c SELECT seq, CONCAT('c', seq) FROM seq_1_to_500;",
    );
    await srv.backup(base);
    await srv.exec(
      'USE d; RENAME TABLE d.a TO e.b; TRUNCATE TABLE d.c;' +
        "INSERT INTO e.b SELECT seq, CONCAT('b', seq) FROM seq_2001_to_2600;" +
        "INSERT INTO d.c VALUES (1, 'after truncate');",
    );
    point = await quietPoint(srv, ['e.b', 'd.c']);
    await srv.exec("INSERT INTO e.b VALUES (9999, 'after the point')");
    await copyFile(srv.logFile, serverLog);
  } finally {
    await srv.kill();
  }
  const dir = join(work, 'restore');
  await copyDir(base, dir);
  const r = await prepareDir(dir, [serverLog], { toLsn: point.lsn });
  t.is(r.reachedLsn, point.lsn);
  t.truthy(await stat(join(dir, 'e', 'b.frm')), 'b.frm moved with b.ibd');
  await t.throwsAsync(stat(join(dir, 'd', 'a.frm')), undefined, 'a.frm gone');
  t.truthy(await stat(join(dir, 'd', 'c.frm')), 'TRUNCATE keeps c.frm');
  // What prepare creates holds row data: owner-only (c.ibd is re-created from TRUNCATE's FILE_CREATE).
  for (const f of ['d/c.ibd', 'ib_logfile0', 'ibarchive_prepare.json']) {
    t.is((await stat(join(dir, f))).mode & 0o777, 0o600, `${f} is owner-only`);
  }
  let restored: Server | undefined;
  try {
    restored = await startServerOn(dir);
    t.deepEqual(await restored.checksums(['e.b', 'd.c']), point.checksums);
    t.deepEqual(await restored.checkTables(['e.b', 'd.c']), { 'e.b': 'OK', 'd.c': 'OK' });
    t.deepEqual(restored.errorLines(), []);
  } finally {
    await restored?.kill({ keepFiles: true });
  }
});
