import test from 'ava';
import { join } from 'node:path';
import { formatLsn } from '@ibarchive/parser';
import { type Server, startServerOn } from '@ibarchive/harness';
import { archivedServer, cli, copyTree, tempDir } from './verify-helpers.js';

async function restoreTo(t: { teardown(fn: () => unknown): void }, backup: string, archive: string, dir: string, lsn: bigint): Promise<Server> {
  await copyTree(backup, dir);
  const p = await cli(['prepare', '--target-dir', dir, '--archived-logs-dir', archive, '--to-archived-lsn', formatLsn(lsn)]);
  if (p.code !== 0) throw new Error(`prepare failed: ${p.text}`);
  const s = await startServerOn(dir);
  t.teardown(() => s.stop().catch(() => undefined));
  return s;
}

test('find reports DROP TABLE, RENAME and TRUNCATE; restoring to the LSN it gives brings a dropped table back and undoes a TRUNCATE', async (t) => {
  const work = await tempDir(t);
  const archive = join(work, 'archive');
  const backup = join(work, 'backup');
  const { srv, f } = await archivedServer(t, archive);
  await srv.exec(
    'CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(40)) ENGINE=InnoDB; ' +
      'CREATE TABLE shop.log (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(40)) ENGINE=InnoDB; ' +
      'CREATE TABLE shop.tmp (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO shop.tmp VALUES (1); ' +
      "CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB; INSERT INTO shop.items VALUES (1, 'pen'), (2, 'ink')",
  );
  await srv.exec(`INSERT INTO shop.orders VALUES ${Array.from({ length: 300 }, (_, i) => `(${i}, 'item-${i}')`).join(',')}`);
  await srv.backup(backup);
  await srv.exec("INSERT INTO shop.orders VALUES (1000, 'after the backup'); INSERT INTO shop.log (msg) VALUES ('before the drop')");
  const before = await srv.checksums(['shop.orders', 'shop.log']);
  const lsnBeforeDrop = await srv.lsn();
  await srv.exec('DROP TABLE shop.orders');
  const lsnAfterDrop = await srv.lsn();
  await srv.exec("INSERT INTO shop.log (msg) VALUES ('after the drop'); RENAME TABLE shop.tmp TO shop.tmp2; TRUNCATE TABLE shop.tmp2");
  const logBeforeTruncate = await srv.checksums(['shop.log']);
  await srv.exec("TRUNCATE TABLE shop.log; INSERT INTO shop.log (msg) VALUES ('after the truncate')");
  const itemsBeforeAlter = await srv.checksums(['shop.items']);
  await srv.exec("ALTER TABLE shop.items ADD COLUMN price INT, ALGORITHM=COPY; UPDATE shop.items SET price = 3");
  await f.waitDurable(await srv.lsn());
  await f.stop();

  const r = await cli(['find', '--archive-dir', archive, '--table', 'shop/orders', '--json']);
  t.is(r.code, 0, r.text);
  const events = r.out.slice(0, -1).map((l) => JSON.parse(l) as Record<string, any>);
  t.deepEqual(
    events.map((e) => [e['event'], e['name']]),
    [
      ['create', './shop/orders.ibd'],
      ['delete', './shop/orders.ibd'],
    ],
  );
  const drop = events[1]!;
  const dropLsn = BigInt(drop['lsn']);
  t.true(dropLsn >= lsnBeforeDrop && dropLsn < lsnAfterDrop, `FILE_DELETE at ${dropLsn}, DROP between ${lsnBeforeDrop} and ${lsnAfterDrop}`);
  t.is(drop['restoreBeforeBasis'], 'commit');
  const restoreBefore = BigInt(drop['restoreBeforeLsn']);
  t.true(restoreBefore > lsnBeforeDrop && restoreBefore < BigInt(drop['mtrStartLsn']), `commit mtr at ${restoreBefore}`);
  t.true(drop['timeEstimated']);
  t.true(Math.abs(Date.parse(drop['time']) - Date.now()) < 60_000);

  const human = await cli(['find', '--archive-dir', archive, '--table', 'shop/orders', '--event', 'delete']);
  t.regex(human.text, new RegExp(`^LSN ${formatLsn(dropLsn)}  ~.* delete \\./shop/orders\\.ibd  \\(restore just before: --to-archived-lsn ${formatLsn(restoreBefore)}, the commit of the drop\\)`, 'm'));

  // RENAME TABLE is one FILE_RENAME; TRUNCATE is rename to #sql-ib*, create, delete of #sql-ib*.
  const other = await cli(['find', '--archive-dir', archive, '--table', 'shop/tmp2', '--json']);
  const seq = other.out.slice(0, -1).map((l) => JSON.parse(l) as Record<string, any>);
  t.deepEqual(seq.map((e) => e['event']), ['rename', 'rename', 'create']);
  t.deepEqual(seq.map((e) => e['restoreBeforeBasis']), ['mtr', 'ddl-start', 'ddl-start']);
  t.is(seq[2]!['restoreBeforeLsn'], seq[1]!['mtrStartLsn'], 'the create of the new tmp2 restores to the start of its TRUNCATE');
  t.is(seq[0]!['name'], './shop/tmp.ibd');
  t.is(seq[0]!['newName'], './shop/tmp2.ibd');
  t.regex(seq[1]!['newName'], /^\.\/shop\/#sql-ib\d+\.ibd$/);
  const all = await cli(['find', '--archive-dir', archive, '--event', 'delete', '--json']);
  t.true(all.out.some((l) => l.includes(JSON.stringify(seq[1]!['newName']))), 'the truncated copy is deleted');

  // Restoring to the LSN find gives brings the table back with its data at the drop.
  const back = await restoreTo(t, backup, archive, join(work, 'before-drop'), restoreBefore);
  t.deepEqual(await back.checksums(['shop.orders', 'shop.log']), before);
  t.deepEqual(back.errorLines(), []);
  await back.stop();
  // What 10.11 writes: the FILE_DELETE follows the commit, so restoring to its own mtr leaves the table dropped.
  const late = await restoreTo(t, backup, archive, join(work, 'at-delete'), BigInt(drop['mtrStartLsn']));
  await t.throwsAsync(late.query('SELECT COUNT(*) FROM shop.orders'), { message: /doesn't exist in engine|doesn't exist/ });
  await late.stop();

  // A TRUNCATE is rename + create + delete: every event of it restores to the start of the statement.
  const tr = (await cli(['find', '--archive-dir', archive, '--table', 'shop/log', '--json'])).out.slice(0, -1).map((l) => JSON.parse(l) as Record<string, any>);
  t.deepEqual(tr.map((e) => [e['event'], e['restoreBeforeBasis']]), [['create', 'mtr'], ['rename', 'ddl-start'], ['create', 'ddl-start']]);
  const truncated = await restoreTo(t, backup, archive, join(work, 'before-truncate'), BigInt(tr[1]!['restoreBeforeLsn']));
  t.deepEqual(await truncated.checksums(['shop.log']), logBeforeTruncate);
  t.deepEqual(truncated.errorLines(), []);
  await truncated.stop();

  // A rebuilding ALTER: create #sql-alter, rename t away, rename #sql-alter to t, delete the old copy.
  const al = (await cli(['find', '--archive-dir', archive, '--event', 'create', 'rename', 'delete', '--json'])).out.slice(0, -1).map((l) => JSON.parse(l) as Record<string, any>);
  const alter = al.filter((e) => /#sql-(alter|backup)/.test(`${e['name']} ${e['newName']}`));
  t.deepEqual(alter.map((e) => e['event']), ['create', 'rename', 'rename', 'delete']);
  t.true(alter.every((e) => e['restoreBeforeBasis'] === 'ddl-start' && e['restoreBeforeLsn'] === alter[0]!['mtrStartLsn']));
  const unaltered = await restoreTo(t, backup, archive, join(work, 'before-alter'), BigInt(alter[0]!['restoreBeforeLsn']));
  t.deepEqual(await unaltered.checksums(['shop.items']), itemsBeforeAlter);
  t.deepEqual(unaltered.errorLines(), []);
  await unaltered.stop();
});
