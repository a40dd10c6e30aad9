import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWorkload, startServer } from '@ibarchive/harness';
import { openArchive } from '@ibarchive/log-archiver';
import { formatLsn, readMtrBatches } from '@ibarchive/parser';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bundle', 'ibarchive.js');

function startArchiver(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, [MAIN, 'archive', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done };
}

test('kill -9 of the archiver at random moments under load, then restart: no gap, no duplicate, whole archive decodes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-kill-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const archiveDir = join(dir, 'archive');
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=32M'] });
  t.teardown(() => srv.stop().catch(() => undefined));
  const args = ['--datadir', srv.datadir, '--archive-dir', archiveDir, '--poll-interval', '20', '--segment-size', '1M', '--segment-seconds', '1'];
  let current = startArchiver(args);
  t.teardown(() => current.child.kill('SIGKILL'));
  // The workload starts once the archive exists, so that it begins before the workload's first LSN
  // however slowly the first archiver starts on a loaded machine.
  const t0 = Date.now();
  while (!(await readdir(archiveDir).catch(() => [] as string[])).includes('archive.json')) {
    if (Date.now() - t0 > 60_000) throw new Error('the archiver did not create archive.json within 60 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const workloadStart = await srv.lsn();
  let workloadDone = false;
  const workload = runWorkload(srv, { rounds: 2, volumeMB: 24, ddlRound: -1 }).finally(() => (workloadDone = true));
  let kills = 0;
  while (!workloadDone) {
    // Kills every 0.1-0.7 s: the workload can take as little as ~2 s on a quiet machine.
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 600));
    current.child.kill('SIGKILL');
    const r = await current.done;
    t.is(r.signal, 'SIGKILL', r.stderr);
    kills++;
    current = startArchiver(args);
  }
  await workload;
  current.child.kill('SIGKILL');
  await current.done;
  const final = await srv.lsn();
  const once = startArchiver([...args, '--once']);
  const r = await once.done;
  t.is(r.code, 0, r.stderr);
  t.true(kills >= 3, `${kills} kills`);

  const names = await readdir(archiveDir);
  const a = await openArchive(archiveDir);
  t.deepEqual(a.gaps, [], 'no recorded or missing ranges');
  t.true(a.startLsn <= workloadStart, `archive starts at ${formatLsn(a.startLsn)}, the workload at ${formatLsn(workloadStart)}`);
  t.is(a.coverage.length, 1);
  t.true(a.endLsn >= final, `archive ends at ${formatLsn(a.endLsn)}, server at ${formatLsn(final)}`);
  t.false(names.some((n) => n.startsWith('gap-')));
  // The hash chain links every segment to the one before it.
  let prev: string | undefined;
  for (const s of a.segments) {
    t.is(s.header.previousHash, prev, `chain link of ${s.file}`);
    prev = createHash('sha256').update(await readFile(s.path)).digest('hex');
  }
  let mtrs = 0;
  let end = 0n;
  for await (const b of readMtrBatches(a.source(), a.startLsn)) {
    if (b.kind === 'end') {
      t.is(b.reason, 'eof');
      end = b.endLsn;
    } else mtrs += b.count;
  }
  t.is(end, a.endLsn);
  t.true(mtrs > 10000, `${mtrs} mtrs`);
});
