import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openArchive } from '@ibarchive/log-archiver';
import { formatLsn } from '@ibarchive/parser';
import { startServerOn } from '@ibarchive/harness';
import { archivedServer, cli, copyTree, jsonOut, tempDir, waitFor } from './verify-helpers.js';

const listing = async (dir: string) => (await readdir(dir)).filter((n) => !n.startsWith('.tmp-') && n !== 'status.json').sort();

/**
 * Nothing was removed or added by expire: `before` is still the listing's prefix and anything after it
 * is a newer segment (the archiver keeps running; names sort by LSN, and expired.json would sort inside).
 */
async function unchanged(t: { deepEqual(a: unknown, b: unknown, m?: string): void; true(v: boolean, m?: string): void }, dir: string, before: string[], what: string): Promise<void> {
  const now = await listing(dir);
  t.deepEqual(now.slice(0, before.length), before, what);
  t.true(now.slice(before.length).every((n) => n.startsWith('seg-')), `${what}: only newer segments appeared: ${now.slice(before.length).join(', ')}`);
}

test('expire keeps what a kept backup needs (it still restores), removes only a prefix, refuses a cut into a kept backup, spares the newest segment', async (t) => {
  const work = await tempDir(t);
  const archive = join(work, 'archive');
  const backup = join(work, 'backup');
  const { srv, f } = await archivedServer(t, archive, { segmentSize: 32 << 10 });
  const insert = async (from: number, n: number) =>
    srv.exec(`INSERT INTO e.t VALUES ${Array.from({ length: n }, (_, i) => `(${from + i}, REPEAT('r', 200))`).join(',')}`);
  await srv.exec('CREATE DATABASE e; CREATE TABLE e.t (id INT PRIMARY KEY, pad VARCHAR(300)) ENGINE=InnoDB');
  for (let i = 0; i < 4; i++) await insert(i * 300, 300);
  const mid = await srv.lsn();
  await f.waitDurable(mid);
  // Make the backup's checkpoint (where its roll-forward starts) recent: flush all dirty pages first.
  await srv.exec('SET GLOBAL innodb_max_dirty_pages_pct_lwm=0.001; SET GLOBAL innodb_max_dirty_pages_pct=0');
  await waitFor(async () => (await srv.checkpointLsn()) >= mid, 30_000, 'a checkpoint after the first inserts');
  await srv.backup(backup);
  for (let i = 4; i < 6; i++) await insert(i * 300, 300);
  await f.waitDurable(await srv.lsn());
  const before = await listing(archive);
  const a0 = await openArchive(archive);
  t.true(a0.segments.length >= 6, `${a0.segments.length} segments`);

  // A cut into the kept backup's log is refused, nothing changed.
  const refused = await cli(['expire', '--archive-dir', archive, '--keep-backups', backup, '--before-lsn', formatLsn(a0.endLsn)]);
  t.is(refused.code, 6, refused.text);
  t.regex(refused.text, new RegExp(`would remove log that backup ${backup} needs from LSN \\d+ \\(seg-[0-9a-f-]+\\.ibseg\\); nothing was removed`));
  await unchanged(t, archive, before, 'a refused expire changes nothing');

  const dry = await cli(['expire', '--archive-dir', archive, '--keep-backups', backup, '--dry-run', '--json']);
  t.is(dry.code, 0, dry.text);
  const plan = jsonOut(dry);
  const need = BigInt(plan['kept'][0].needsFromLsn);
  t.true(plan['removed'].length > 0, 'the backup was taken after several segments');
  t.true(plan['removed'].every((r: { to: string }) => BigInt(r.to) <= need));
  t.deepEqual(
    plan['removed'].map((r: { file: string }) => r.file),
    before.filter((n) => n.startsWith('seg-')).slice(0, plan['removed'].length),
    'a prefix',
  );
  await unchanged(t, archive, before, 'dry run changes nothing');
  const human = await cli(['expire', '--archive-dir', archive, '--keep-backups', backup, '--dry-run']);
  t.regex(human.text, new RegExp(`restore points that become unreachable: LSN ${formatLsn(a0.startLsn)} up to \\(not including\\) ${plan['newStartLsn']}`));
  t.regex(human.text, /dry run: nothing was changed/);

  // For real, while the archiver keeps running and the server keeps writing.
  const done = await cli(['expire', '--archive-dir', archive, '--keep-backups', backup]);
  t.is(done.code, 0, done.text);
  await insert(5000, 300);
  const end = await srv.lsn();
  await f.waitDurable(end);
  await f.stop();
  const a1 = await openArchive(archive);
  t.is(a1.startLsn, BigInt(plan['newStartLsn']));
  t.true(a1.startLsn <= need);
  t.deepEqual(a1.gaps, []);
  const v = await cli(['verify', '--archive-dir', archive, '--target-dir', backup, '--json']);
  t.is(v.code, 0, v.text);
  const vj = jsonOut(v);
  t.is(vj['chainStart'], 'expire-record');
  t.true(vj['backup'].restorable);
  t.true(BigInt(vj['backup'].latestLsn) >= end);

  // The kept backup still restores to now.
  const dir = join(work, 'restored');
  await copyTree(backup, dir);
  const p = await cli(['prepare', '--target-dir', dir, '--archived-logs-dir', archive, '--to-archived-lsn', formatLsn(end)]);
  t.is(p.code, 0, p.text);
  const live = await srv.checksums(['e.t']);
  const r = await startServerOn(dir);
  try {
    t.deepEqual(await r.checksums(['e.t']), live);
  } finally {
    await r.stop();
  }

  // --older-than looks at each segment's newest time sample.
  const young = jsonOut(await cli(['expire', '--archive-dir', archive, '--older-than', '1h', '--dry-run', '--json']));
  t.deepEqual(young['removed'], []);
  await new Promise((r) => setTimeout(r, 1100));
  const cutoff = Date.now() - 1000;
  const old = jsonOut(await cli(['expire', '--archive-dir', archive, '--older-than', '1s', '--dry-run', '--json']));
  t.is(old['removed'].length, a1.segments.length - 1, 'all but the newest segment are over a second old');
  t.deepEqual(old['limits'], ['the newest segment is never removed (a running archiver continues its hash chain from it)']);
  t.true(a1.segments.slice(0, -1).every((s) => s.header.samples.every((x) => x.timeMs < cutoff)));
  const bad = await cli(['expire', '--archive-dir', archive, '--older-than', '7 days']);
  t.is(bad.code, 2);
  t.regex(bad.text, /--older-than: not a duration: 7 days \(examples: 7d, 12h, 1d12h, 30m\)/);

  // Without kept backups, everything may go except the newest segment.
  const all = await cli(['expire', '--archive-dir', archive, '--before-lsn', formatLsn(a1.endLsn + 1n)]);
  t.is(all.code, 0, all.text);
  t.regex(all.text, /kept: the newest segment is never removed/);
  const a2 = await openArchive(archive);
  t.is(a2.segments.length, 1);
  t.is(a2.segments[0]!.file, a1.segments[a1.segments.length - 1]!.file);
  const v2 = await cli(['verify', '--archive-dir', archive]);
  t.is(v2.code, 0, v2.text);
  t.regex(v2.text, /hash chain: checked from the expire record/);
});
