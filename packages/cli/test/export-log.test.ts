import test from 'ava';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_1, crc32c, encodeCheckpointBlock, encodeLogHeader, START_OFFSET } from '@ibarchive/parser';
import { openArchive } from '@ibarchive/log-archiver';
import { makeOutput, run } from '../src/index.js';

/** FILE_CHECKPOINT(cp) mtr, terminator 1. */
function checkpointMtr(cp: bigint): Uint8Array {
  const m = new Uint8Array(16);
  m[0] = 0xfa;
  new DataView(m.buffer).setBigUint64(3, cp);
  m[11] = 1;
  new DataView(m.buffer).setUint32(12, crc32c(m.subarray(0, 11)));
  return m;
}

/** A mariadb-backup-style directory whose log holds 10 mtrs from LSN 20000, checkpoint 20000. */
async function builtBackup(dir: string): Promise<Uint8Array> {
  await mkdir(dir);
  const log = new Uint8Array(START_OFFSET + 160);
  log.set(encodeLogHeader({ firstLsn: 20000n, creator: 'Backup 10.11.19' }), 0);
  log.set(encodeCheckpointBlock(20000n, 20000n), CHECKPOINT_1);
  for (let i = 0; i < 10; i++) log.set(checkpointMtr(i < 5 ? 19000n : 20000n), START_OFFSET + 16 * i);
  await writeFile(join(dir, 'ib_logfile0'), log);
  await writeFile(join(dir, 'xtrabackup_checkpoints'), 'backup_type = full-backuped\n');
  return log;
}

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, makeOutput((s) => (out += s), (s) => (err += s)));
  return { code, out, err };
}

test('archive --from-backup ingests a backup log; export-log writes the backup-log layout and refuses bad ranges', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-export-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const backup = join(dir, 'backup');
  const archive = join(dir, 'archive');
  const log = await builtBackup(backup);
  const ing = await cli(['archive', '--from-backup', backup, '--archive-dir', archive]);
  t.is(ing.code, 0, ing.err);
  const a = await openArchive(archive);
  t.is(a.startLsn, 20000n);
  t.is(a.endLsn, 20160n);

  const out = join(dir, 'exported');
  const ok = await cli(['export-log', '--archive-dir', archive, '--from-lsn', '20000', '--to-lsn', '20160', '--out', out, '--json']);
  t.is(ok.code, 0, ok.err);
  // FILE_CHECKPOINT(20000) is the 6th mtr, at 20080: checkpoint block 1 = (20000, 20080).
  t.deepEqual(JSON.parse(ok.out), { out, fromLsn: '20000', toLsn: '20160', checkpointEndLsn: '20080', bytes: START_OFFSET + 160 });
  const bytes = new Uint8Array(await readFile(out));
  const want = log.slice();
  want.set(encodeCheckpointBlock(20000n, 20080n), CHECKPOINT_1);
  t.deepEqual(bytes, want);

  const notCheckpoint = await cli(['export-log', '--archive-dir', archive, '--from-lsn', '20016', '--to-lsn', '20160', '--out', out]);
  t.is(notCheckpoint.code, 6);
  t.is(notCheckpoint.err, 'ibarchive: --from-lsn 20016 is not a checkpoint LSN: no FILE_CHECKPOINT(20016) record in 20016..20160\n');
  const notBoundary = await cli(['export-log', '--archive-dir', archive, '--from-lsn', '20000', '--to-lsn', '20100', '--out', out]);
  t.is(notBoundary.code, 6);
  t.is(notBoundary.err, 'ibarchive: --to-lsn 20100 is not an mtr boundary: the mtr at LSN 20096 ends at 20112\n');
  const outside = await cli(['export-log', '--archive-dir', archive, '--from-lsn', '20000', '--to-lsn', '30000', '--out', out]);
  t.is(outside.code, 5);
  const badLsn = await cli(['export-log', '--archive-dir', archive, '--from-lsn', 'abc', '--to-lsn', '30000', '--out', out]);
  t.is(badLsn.code, 2);
});
