import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pointTables, prepareWithMariadbBackup, runWorkload, startServer, startServerOn, workloadSchema } from '../src/index.js';

test('backup, prepare with mariadb-backup and start on the result reproduces the data', async (t) => {
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=8M'] });
  t.teardown(() => srv.kill());
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-backup-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const points = await runWorkload(srv, { rounds: 1, rowsPerRound: 200, openTransactionRound: -1 });
  const target = join(dir, 'b');
  const res = await srv.backup(target);
  t.regex(res.log, /completed OK!/);
  const cp = readFileSync(join(target, 'xtrabackup_checkpoints'), 'utf8');
  t.regex(cp, /backup_type = full-backuped/);
  t.true(existsSync(join(target, 'ib_logfile0')));
  await srv.stop();

  await prepareWithMariadbBackup(target);
  t.regex(readFileSync(join(target, 'xtrabackup_checkpoints'), 'utf8'), /backup_type = log-applied/);
  const restored = await startServerOn(target);
  t.teardown(() => restored.kill());
  const tables = pointTables(workloadSchema('wl'));
  t.deepEqual(await restored.checksums(tables), points[points.length - 1]!.checksums);
  t.deepEqual(restored.errorLines(), []);
  await restored.stop();
  t.true(existsSync(join(target, 'ibdata1')), 'startServerOn leaves the data directory');
});
