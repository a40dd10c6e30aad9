import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorkload, startServer } from '@ibarchive/harness';
import { formatLsn, openCircularLog, readMtrBatches } from '@ibarchive/parser';
import { fileRandomAccess, openArchive, openLogPath } from '@ibarchive/log-archiver';
import { makeOutput, run } from '../src/index.js';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, makeOutput((s) => (out += s), (s) => (err += s)));
  return { code, out, err };
}

/** `key = value` lines of mariadb-backup's xtrabackup_checkpoints. */
async function backupCheckpoints(dir: string): Promise<Record<string, string>> {
  const text = await readFile(join(dir, 'xtrabackup_checkpoints'), 'utf8');
  return Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=').map((s) => s.trim()) as [string, string]));
}

test('archive --from-backup on a real mariadb-backup directory: the archive covers the backup checkpoint to the end of its log, byte for byte', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-from-backup-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const backup = join(dir, 'backup');
  const archive = join(dir, 'archive');
  const srv = await startServer();
  t.teardown(() => srv.stop().catch(() => undefined));
  // The backup runs while the workload writes, so its log holds a few MB after its checkpoint.
  const workload = runWorkload(srv, { rounds: 2, ddlRound: -1, openTransactionRound: -1 });
  await new Promise((r) => setTimeout(r, 1000));
  await srv.backup(backup);
  await workload;
  // Recovery of the backup (mariadb-backup --prepare) starts at the checkpoint in its ib_logfile0: the log
  // copying began there. xtrabackup_checkpoints' to_lsn is the server's checkpoint when the copy ended
  // (equal, or later if the server checkpointed during the backup); last_lsn is the end of the copied log.
  const cps = await backupCheckpoints(backup);
  const ra = await fileRandomAccess(join(backup, 'ib_logfile0'));
  const checkpoint = (await openCircularLog(ra)).checkpoints.latest.checkpointLsn;
  await ra.close();
  const last = BigInt(cps['last_lsn']!);
  t.true(checkpoint <= BigInt(cps['to_lsn']!), `log checkpoint ${checkpoint}, to_lsn ${cps['to_lsn']}`);
  t.true(last - checkpoint > 100_000n, `backup log holds ${last - checkpoint} bytes after its checkpoint`);

  const ing = await cli(['archive', '--from-backup', backup, '--archive-dir', archive, '--json', '--segment-size', '32K']);
  t.is(ing.code, 0, ing.err);
  t.regex(ing.err, new RegExp(`ingested backup .*: ${formatLsn(checkpoint)}\\.\\.${formatLsn(last)}\\n`));
  const segments = ing.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; startLsn: string }).filter((e) => e.type === 'segment');
  t.is(segments[0]?.startLsn, formatLsn(checkpoint));
  // --segment-size applies to an ingested backup too (segments roll after 32 KiB of log, cut at an mtr end).
  t.true(segments.length >= Number((last - checkpoint) / 65536n), `${segments.length} segments for ${last - checkpoint} bytes`);

  const a = await openArchive(archive);
  t.is(a.startLsn, checkpoint);
  t.is(a.endLsn, last);
  t.deepEqual(a.gaps, []);
  t.is(a.coverage.length, 1);

  // Decode the archive and the backup log side by side: same mtr boundaries, same bytes
  // (terminators set to 1 in both: mariadb-backup writes them so too).
  const opened = await openLogPath(backup);
  t.teardown(() => opened.close());
  t.is(opened.startLsn, checkpoint);
  const src = a.source();
  let next = checkpoint;
  let mtrs = 0;
  for await (const r of readMtrBatches(opened.source, checkpoint)) {
    if (r.kind === 'end') {
      t.is(r.endLsn, last, `backup log ended (${r.reason})`);
      break;
    }
    t.is(r.lsn + BigInt(r.starts[0]!), next);
    const bytes = r.bytes.subarray(r.starts[0], r.ends[r.count - 1]);
    t.is(Buffer.compare(Buffer.from(await src.read(next, bytes.length)), Buffer.from(bytes)), 0, `bytes differ in the batch at LSN ${formatLsn(next)}`);
    next += BigInt(bytes.length);
    mtrs += r.count;
  }
  t.is(next, last);
  let archived = 0;
  for await (const r of readMtrBatches(src, checkpoint)) {
    if (r.kind === 'end') {
      t.is(r.reason, 'eof');
      t.is(r.endLsn, last);
      break;
    }
    archived += r.count;
  }
  t.is(archived, mtrs);

  const again = await cli(['archive', '--from-backup', backup, '--archive-dir', archive]);
  t.is(again.code, 0, again.err);
  t.regex(again.err, /nothing new/);
});
