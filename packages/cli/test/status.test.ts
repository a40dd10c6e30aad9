import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openArchive } from '@ibarchive/log-archiver';
import { formatLsn } from '@ibarchive/parser';
import { archivedServer, cli, jsonOut, tempDir } from './verify-helpers.js';

test('status: window, size, a running archiver (lag, headroom), Prometheus metrics; stopped, stale and dead archivers, gaps, exit codes', async (t) => {
  const work = await tempDir(t);
  const archive = join(work, 'archive');
  const metrics = join(work, 'textfile', 'ibarchive.prom');
  await import('node:fs/promises').then((fs) => fs.mkdir(join(work, 'textfile')));
  const { srv, f } = await archivedServer(t, archive, { segmentSize: 64 << 10 });
  await srv.exec('CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY, pad VARCHAR(300)) ENGINE=InnoDB');
  await srv.exec(`INSERT INTO s.t VALUES ${Array.from({ length: 600 }, (_, i) => `(${i}, REPEAT('p', 250))`).join(',')}`);
  await f.waitDurable(await srv.lsn());
  await new Promise((r) => setTimeout(r, 1100)); // one more status write after the last segment

  const r = await cli(['status', '--archive-dir', archive, '--json', '--metrics-file', metrics]);
  t.is(r.code, 0, r.text);
  const j = jsonOut(r);
  const a = await openArchive(archive);
  t.is(j['segments'], a.segments.length);
  t.is(j['startLsn'], formatLsn(a.startLsn));
  t.is(j['window'].fromLsn, formatLsn(a.startLsn));
  t.true(BigInt(j['window'].toLsn) >= BigInt(j['endLsn']) - 0n && j['window'].toLsn === formatLsn(a.endLsn));
  t.true(Date.parse(j['window'].toTime) <= Date.now() && Date.parse(j['window'].toTime) > Date.now() - 30_000);
  t.true(j['compressionRatio'] > 1.5, `lz4 ratio ${j['compressionRatio']}`);
  t.deepEqual(j['gaps'], []);
  t.is(j['healthy'], true);
  t.deepEqual(j['problems'], []);
  const ar = j['archiver'];
  t.is(ar.state, 'running', ar.detail);
  t.is(ar.pid, process.pid);
  const capacity = 32 * 1024 * 1024 - 12288;
  t.is(ar.capacity, capacity);
  t.true(BigInt(ar.headroom) > 0n && BigInt(ar.headroom) <= BigInt(capacity));
  t.true(BigInt(ar.serverLsn) >= BigInt(ar.archivedLsn) - 0n);
  t.is(typeof ar.lagSeconds, 'number');
  t.true(ar.lagBytes !== undefined);

  const prom = await readFile(metrics, 'utf8');
  const label = `{archive="${archive}"}`;
  t.regex(prom, new RegExp(`^ibarchive_archiver_up${escape(label)} 1$`, 'm'));
  t.regex(prom, new RegExp(`^ibarchive_segments${escape(label)} ${a.segments.length}$`, 'm'));
  t.regex(prom, new RegExp(`^ibarchive_archive_end_lsn${escape(label)} ${formatLsn(a.endLsn)}$`, 'm'));
  t.regex(prom, /^# TYPE ibarchive_archiver_headroom_bytes gauge$/m);
  for (const line of prom.trimEnd().split('\n')) t.regex(line, /^(# (HELP|TYPE) ibarchive_\w+ .+|ibarchive_\w+\{archive="[^"]*"\} -?[0-9.e+-]+)$/);
  t.deepEqual(await readdir(join(work, 'textfile')), ['ibarchive.prom'], 'written via a temp file and rename');

  const human = await cli(['status', '--archive-dir', archive]);
  t.regex(human.text, new RegExp(`restorable window: LSN ${formatLsn(a.startLsn)}\\.\\.${formatLsn(a.endLsn)}, time `));
  t.regex(human.text, /archiver: RUNNING: archiver pid \d+ running/);
  t.regex(human.text, /headroom \d+ bytes of \d+ \(\d+% of the log ring/);

  t.regex(human.text, /health: OK/);
  t.is(human.code, 0);

  await f.stop();
  const stoppedRun = await cli(['status', '--archive-dir', archive, '--json']);
  t.is(stoppedRun.code, 0, 'a cleanly stopped archiver is healthy');
  const stopped = jsonOut(stoppedRun);
  t.is(stopped['archiver'].state, 'stopped');
  t.regex(stopped['archiver'].detail, /stopped cleanly/);

  // A live pid that stopped updating is stale; a dead pid that never said "stopped" is not running.
  const statusPath = join(archive, 'status.json');
  const st = JSON.parse(await readFile(statusPath, 'utf8')) as Record<string, unknown>;
  await writeFile(statusPath, JSON.stringify({ ...st, state: 'running', updatedAt: new Date(Date.now() - 60_000).toISOString() }));
  const staleRun = await cli(['status', '--archive-dir', archive, '--json']);
  t.is(staleRun.code, 1, 'a stale archiver is a problem');
  const stale = jsonOut(staleRun);
  t.is(stale['archiver'].state, 'stale', JSON.stringify(stale['archiver']));
  t.regex(stale['archiver'].detail, /alive but has not updated its status for 60 s/);
  t.is(stale['healthy'], false);
  t.is(stale['problems'].length, 1);
  t.regex(stale['problems'][0], /^archiver stale: /);
  const dead = spawnSync('true').pid;
  await writeFile(statusPath, JSON.stringify({ ...st, state: 'running', pid: dead, updatedAt: new Date().toISOString() }));
  const goneRun = await cli(['status', '--archive-dir', archive, '--json', '--metrics-file', metrics]);
  t.is(goneRun.code, 1, 'a dead archiver that said running is a problem');
  const gone = jsonOut(goneRun);
  t.is(gone['archiver'].state, 'dead');
  t.regex(gone['archiver'].detail, /is not running .*it did not stop cleanly/);
  t.regex(await readFile(metrics, 'utf8'), new RegExp(`^ibarchive_archiver_up${escape(label)} 0$`, 'm'));
  const goneHuman = await cli(['status', '--archive-dir', archive]);
  t.is(goneHuman.code, 1);
  t.regex(goneHuman.text, /archiver: DEAD: /);
  t.regex(goneHuman.text, /PROBLEM: archiver dead: /);

  // A healthy archiver again, but a segment file deleted from the middle: a missing range, exit 1.
  await writeFile(statusPath, JSON.stringify(st));
  t.is((await cli(['status', '--archive-dir', archive])).code, 0);
  t.true(a.segments.length >= 3, `${a.segments.length} segments`);
  const victim = a.segments[1]!;
  await rm(victim.path);
  const holeRun = await cli(['status', '--archive-dir', archive, '--json']);
  t.is(holeRun.code, 1);
  const hole = jsonOut(holeRun);
  t.deepEqual(hole['problems'], [`missing range: LSN ${formatLsn(victim.startLsn)}..${formatLsn(victim.endLsn)} has no segment and no gap file`]);
  t.regex((await cli(['status', '--archive-dir', archive])).text, /PROBLEM: missing range: /);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
