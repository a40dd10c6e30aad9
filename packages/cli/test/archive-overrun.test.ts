import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWorkload, startServer } from '@ibarchive/harness';
import { openArchive } from '@ibarchive/log-archiver';
import { formatLsn, parseLsn, readMtrBatches } from '@ibarchive/parser';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bundle', 'ibarchive.js');

interface Proc {
  child: ChildProcess;
  events: Record<string, string>[];
  stderr: () => string;
  done: Promise<number | null>;
}

function startArchiver(args: string[]): Proc {
  const child = spawn(process.execPath, [MAIN, 'archive', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, string>[] = [];
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const l of lines) if (l) events.push(JSON.parse(l) as Record<string, string>);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, events, stderr: () => err, done: new Promise((r) => child.on('exit', (code) => r(code))) };
}

const lastProgress = (p: Proc) => [...p.events].reverse().find((e) => e['type'] === 'progress');

test('a stopped archiver overrun by a small log under load records the exact gap and carries on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-overrun-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const archiveDir = join(dir, 'archive');
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=8M'] });
  t.teardown(() => srv.stop().catch(() => undefined));
  const p = startArchiver(['--datadir', srv.datadir, '--archive-dir', archiveDir, '--poll-interval', '20', '--segment-size', '1M', '--segment-seconds', '1']);
  t.teardown(() => p.child.kill('SIGKILL'));
  await runWorkload(srv, { rounds: 1, ddlRound: -1, openTransactionRound: -1 });
  const before = await srv.lsn();
  while (!(lastProgress(p) && parseLsn(lastProgress(p)!['archivedLsn']!)! >= before)) await new Promise((r) => setTimeout(r, 50));
  p.child.kill('SIGSTOP');
  const stoppedAt = parseLsn(lastProgress(p)!['archivedLsn']!)!;
  await runWorkload(srv, { database: 'wl2', rounds: 1, volumeMB: 30, ddlRound: -1, openTransactionRound: -1 });
  const during = await srv.lsn();
  p.child.kill('SIGCONT');
  await runWorkload(srv, { database: 'wl3', rounds: 1, ddlRound: -1, openTransactionRound: -1 });
  const final = await srv.lsn();
  while (!(lastProgress(p) && parseLsn(lastProgress(p)!['archivedLsn']!)! >= final)) await new Promise((r) => setTimeout(r, 50));
  p.child.kill('SIGTERM');
  t.is(await p.done, 5, p.stderr());

  const gaps = p.events.filter((e) => e['type'] === 'gap');
  t.is(gaps.length, 1, p.stderr());
  const from = parseLsn(gaps[0]!['from']!)!;
  const to = parseLsn(gaps[0]!['to']!)!;
  t.is(from, stoppedAt, 'the gap starts exactly where archiving stopped');
  t.true(to > from && to <= during, `gap ${formatLsn(from)}..${formatLsn(to)}, server at ${formatLsn(during)} after the stop`);
  t.regex(p.stderr(), new RegExp(`ERROR: .*LSN ${formatLsn(from)}\\.\\.${formatLsn(to)}`));
  const rec = JSON.parse(await readFile(join(archiveDir, `gap-${from.toString(16).padStart(16, '0')}-${to.toString(16).padStart(16, '0')}.json`), 'utf8')) as Record<string, string>;
  t.is(rec['from'], formatLsn(from));
  t.is(rec['to'], formatLsn(to));

  const a = await openArchive(archiveDir);
  t.deepEqual(a.gaps.map((g) => [g.kind, g.from, g.to]), [['recorded', from, to]]);
  t.is(a.coverage.length, 2);
  t.is(a.coverage[0]!.to, from);
  t.is(a.coverage[1]!.from, to);
  // Before the gap the log decodes up to its start, then the read into the gap throws naming it;
  // archiving resumed at a checkpoint, from which the log decodes to the end.
  let reached = a.startLsn;
  const gapErr = await t.throwsAsync(async () => {
    for await (const b of readMtrBatches(a.source(), a.startLsn)) if (b.kind === 'batch') reached = b.lsn + BigInt(b.ends[b.count - 1]!);
  });
  t.is(reached, from);
  t.is((gapErr as { lsn?: bigint }).lsn, from);
  let end = 0n;
  for await (const b of readMtrBatches(a.source(), to)) if (b.kind === 'end') end = b.endLsn;
  t.is(end, a.endLsn);
  t.true(a.endLsn >= final);
  // Reading across the gap names it.
  const err = await t.throwsAsync(a.source().read(from, 16));
  t.is(err?.message, `archive has no log for LSN ${formatLsn(from)}..${formatLsn(to)} (recorded overrun) at LSN ${formatLsn(from)} (${archiveDir})`);
});
