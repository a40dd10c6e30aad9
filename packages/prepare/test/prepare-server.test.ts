import test from 'ava';
import { copyFile, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  pointTables,
  prepareWithMariadbBackup,
  runWorkload,
  startServer,
  workloadSchema,
  type RestorePoint,
} from '@ibarchive/harness';
import { comparePreparedDirs, describeDifference } from '../src/index.js';
import { copyDir, hashTree, prepareDir, saveFrms, verifyRestorePoint } from './helpers.js';

/**
 * Real-server PITR: a mariadb-backup base taken right after the schema was
 * created, then a workload (DML, DDL after round 0, an open transaction) with
 * restore points; the log beyond the backup comes from a copy of the server's
 * own ib_logfile0 (large enough not to wrap), standing in for the archive.
 */
let work = '';
let base = '';
let serverLog = '';
let frmDir = '';
let points: RestorePoint[] = [];
const tables = pointTables(workloadSchema('wl'));

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'ibarchive-prepare-'));
  base = join(work, 'base');
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=256M'] });
  try {
    let backedUp = false;
    points = await runWorkload(srv, {
      rounds: 3,
      rowsPerRound: 150,
      blobMaxKB: 60,
      onPoint: async (p) => {
        await saveFrms(srv.datadir, join(work, 'frm'));
        if (!backedUp && p.name === 'initial') {
          backedUp = true;
          await srv.backup(base);
        }
      },
    });
    serverLog = join(work, 'server_ib_logfile0');
    await copyFile(srv.logFile, serverLog);
    // Table definitions (.frm) are not in the redo log: keep each table's latest one.
    frmDir = join(work, 'frm');
    await saveFrms(srv.datadir, frmDir);
  } finally {
    await srv.kill();
  }
});

test.after.always(async () => {
  if (work && process.env.IBARCHIVE_KEEP_TMP !== '1') await rm(work, { recursive: true, force: true });
});

for (const which of ['round-0', 'open-trx', 'last']) {
  test.serial(`prepare to restore point ${which} reproduces the data`, async (t) => {
    const point = which === 'last' ? points[points.length - 1]! : points.find((p) => p.name === which)!;
    t.truthy(point, `restore point ${which}`);
    const dir = join(work, `pitr-${which}`);
    await copyDir(base, dir);
    const r = await prepareDir(dir, [serverLog], { toLsn: point.lsn });
    t.is(r.reachedLsn, point.lsn);
    await verifyRestorePoint(t, dir, point, tables, frmDir);
  });
}

test.serial('incremental: prepare to an early point, then roll forward to a later one', async (t) => {
  const early = points.find((p) => p.name === 'round-0')!;
  const late = points[points.length - 1]!;
  const dir = join(work, 'incremental');
  await copyDir(base, dir);
  await prepareDir(dir, [serverLog], { toLsn: early.lsn });
  const behind = await hashTree(dir);
  await t.throwsAsync(prepareDir(dir, [serverLog], { toLsn: early.lsn - 1n }), { message: /behind the LSN this directory was already prepared to/ });
  t.deepEqual(await hashTree(dir), behind, 'a refused prepare changes nothing');
  const r = await prepareDir(dir, [serverLog], { toLsn: late.lsn });
  t.is(r.base, 'continue');
  t.is(r.startLsn, early.lsn);
  await verifyRestorePoint(t, dir, late, tables, frmDir);
  // A server ran on it: rolling forward again must be refused, with nothing changed.
  const after = await hashTree(dir);
  await t.throwsAsync(prepareDir(dir, [serverLog]), { message: /a server was started on it since/ });
  t.deepEqual(await hashTree(dir), after);
});

test.serial('refusals change nothing: target beyond the log, target before the base is consistent', async (t) => {
  const dir = join(work, 'refusals');
  await copyDir(base, dir);
  const before = await hashTree(dir);
  await t.throwsAsync(prepareDir(dir, [serverLog], { toLsn: points[points.length - 1]!.lsn + 10_000_000n }), {
    message: /beyond the available log/,
  });
  await t.throwsAsync(prepareDir(dir, [], { toLsn: 1000n }), { message: /is behind the LSN this directory starts at/ });
  t.deepEqual(await hashTree(dir), before);
});

test.serial('--plan reports without writing', async (t) => {
  const dir = join(work, 'plan');
  await copyDir(base, dir);
  const before = await hashTree(dir);
  const r = await prepareDir(dir, [serverLog], { planOnly: true });
  t.true(r.planOnly);
  t.true(r.pagesTouched > 0);
  t.true(r.spans.length >= 1);
  t.deepEqual(await hashTree(dir), before);
});

test.serial('differential: the backup prepared by mariadb-backup and by ibarchive is byte-identical', async (t) => {
  const ours = join(work, 'diff-ours');
  const theirs = join(work, 'diff-theirs');
  await copyDir(base, ours);
  await copyDir(base, theirs);
  await prepareWithMariadbBackup(theirs);
  await prepareDir(ours, []);
  const diffs = await comparePreparedDirs(ours, theirs);
  t.deepEqual(diffs.map(describeDifference), []);
  // Again with room for 64 pages only: the rest go through the scratch file.
  const small = join(work, 'diff-small');
  await copyDir(base, small);
  const r = await prepareDir(small, [], { useMemory: 1 << 20 });
  t.true(r.pagesSpilled > 0, `${r.pagesSpilled} pages spilled`);
  t.deepEqual((await comparePreparedDirs(small, theirs)).map(describeDifference), []);
});

test.serial('a base page newer than the target is refused, naming file and page, nothing changed', async (t) => {
  const dir = join(work, 'newer-page');
  await copyDir(base, dir);
  // A target inside the backup window (between its checkpoint and the end of its log).
  const cp = await readFile(join(dir, 'xtrabackup_checkpoints'), 'utf8');
  const lastLsn = BigInt(/last_lsn = (\d+)/.exec(cp)![1]!);
  const startLsn = (await readFile(join(dir, 'ib_logfile0'))).readBigUInt64BE(4096);
  const target = startLsn + (lastLsn - startLsn) / 2n;
  // Page 7 of ibdata1 as if copied after the target.
  const fh = await open(join(dir, 'ibdata1'), 'r+');
  const lsn = Buffer.alloc(8);
  lsn.writeBigUInt64BE(target + 1000n);
  await fh.write(lsn, 0, 8, 7 * 16384 + 16);
  await fh.close();
  const before = await hashTree(dir);
  const e = await t.throwsAsync(prepareDir(dir, [serverLog], { toLsn: target }));
  const m = /^ibdata1 page 7 has LSN (\d+), newer than the target LSN (\d+): the base cannot be prepared to that point$/.exec(e!.message);
  t.truthy(m, e!.message);
  t.is(BigInt(m![1]!), target + 1000n);
  t.true(BigInt(m![2]!) <= target);
  t.deepEqual(await hashTree(dir), before);
});
