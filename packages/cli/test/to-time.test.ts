import test from 'ava';
import { join } from 'node:path';
import { archiveSamples, openArchive, parseTimeSpec } from '@ibarchive/log-archiver';
import { formatLsn } from '@ibarchive/parser';
import { startServerOn } from '@ibarchive/harness';
import { archivedServer, cli, copyTree, jsonOut, tempDir, waitFor } from './verify-helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Local wall-clock text without a zone, as a DBA types it: `YYYY-MM-DD HH:MM:SS.mmm`. */
function localText(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

test('time parsing: local without a zone, ISO 8601 with Z or an offset; garbage is a usage error', async (t) => {
  t.is(parseTimeSpec('2026-11-21T14:05:00Z'), Date.UTC(2026, 10, 21, 14, 5, 0));
  t.is(parseTimeSpec('2026-11-21 14:05:00+01:00'), Date.UTC(2026, 10, 21, 13, 5, 0));
  t.is(parseTimeSpec('2026-11-21T14:05:00.250-0230'), Date.UTC(2026, 10, 21, 16, 35, 0, 250));
  t.is(parseTimeSpec('2026-11-21 14:05:00'), new Date(2026, 10, 21, 14, 5, 0).getTime());
  t.is(parseTimeSpec('2026-11-21 14:05'), new Date(2026, 10, 21, 14, 5, 0).getTime());
  t.throws(() => parseTimeSpec('yesterday'), { message: /--to-time: not a time: yesterday/ });
  const r = await cli(['prepare', '--target-dir', '/nonexistent', '--archived-logs-dir', '/nonexistent', '--to-time', '2026-13-01 00:00:00']);
  t.is(r.code, 2);
  t.regex(r.text, /--to-time: time out of range: 2026-13-01 00:00:00/);
});

test('--to-time lands between a change made before the time and one made after; prepare to it restores exactly the first', async (t) => {
  const work = await tempDir(t);
  const archive = join(work, 'archive');
  const backup = join(work, 'backup');
  const { srv, f } = await archivedServer(t, archive);
  await srv.exec("CREATE DATABASE tt; CREATE TABLE tt.t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB; INSERT INTO tt.t VALUES (0, 'base')");
  await srv.backup(backup);

  await srv.exec("INSERT INTO tt.t VALUES (1, 'A')");
  const lsnA = await srv.lsn();
  // T follows a sample that covers A (the archiver samples at most once a second, later under load).
  await waitFor(async () => archiveSamples(await openArchive(archive)).some((s) => s.lsn >= lsnA), 30_000, 'a sample covering A');
  await sleep(50);
  const T = Date.now();
  await sleep(1200);
  const lsnBeforeB = await srv.lsn();
  await srv.exec("INSERT INTO tt.t VALUES (2, 'B')");
  const lsnB = await srv.lsn();
  await f.waitDurable(lsnB);
  await waitFor(async () => archiveSamples(await openArchive(archive)).some((s) => s.timeMs > T && s.lsn >= lsnB), 20_000, 'a sample after B');
  await f.stop();

  const v = await cli(['verify', '--archive-dir', archive, '--target-dir', backup, '--to-time', localText(T), '--json']);
  t.is(v.code, 0, v.text);
  const j = jsonOut(v);
  const lsn = BigInt(j['toTime'].lsn);
  t.true(lsn >= lsnA && lsn <= lsnBeforeB, `resolved ${lsn}, A ends at ${lsnA}, B starts after ${lsnBeforeB}`);
  t.true(Date.parse(j['toTime'].before.time) <= T && Date.parse(j['toTime'].after.time) > T);
  t.true(j['backup'].targetOk);
  // The same instant in ISO 8601 UTC resolves to the same LSN.
  const iso = jsonOut(await cli(['verify', '--archive-dir', archive, '--to-time', new Date(T).toISOString(), '--json']));
  t.is(iso['toTime'].lsn, formatLsn(lsn));

  const e = await cli(['verify', '--archive-dir', archive, '--to-time', localText(T), '--explain']);
  t.regex(e.text, new RegExp(`resolves to LSN ${formatLsn(lsn)}`));
  t.regex(e.text, /sample at or before: .* LSN \d+\n {2}next sample after: {3}.* LSN \d+\n {2}uncertainty: \d+\.\d{3} s and \d+ bytes of log between the two samples/);

  // Outside the archive: an error (exit 5), never a silent restore to the latest state.
  const later = await cli(['prepare', '--target-dir', join(work, 'never'), '--archived-logs-dir', archive, '--to-time', new Date(Date.now() + 3_600_000).toISOString()]);
  t.is(later.code, 5, later.text);
  t.regex(later.text, /is after the archive's last time sample/);
  const earlier = await cli(['verify', '--archive-dir', archive, '--to-time', new Date(T - 3_600_000).toISOString()]);
  t.is(earlier.code, 5, earlier.text);
  t.regex(earlier.text, /is before the archive's first time sample/);

  const dir = join(work, 'restored');
  await copyTree(backup, dir);
  const p = await cli(['prepare', '--target-dir', dir, '--archived-logs-dir', archive, '--to-time', localText(T), '--explain']);
  t.is(p.code, 0, p.text);
  t.regex(p.text, new RegExp(`LSN reached: ${formatLsn(lsn)}`));
  const restored = await startServerOn(dir);
  try {
    t.deepEqual(await restored.query('SELECT id, v FROM tt.t ORDER BY id'), [['0', 'base'], ['1', 'A']]);
    t.deepEqual(restored.errorLines(), []);
  } finally {
    await restored.stop();
  }
});
