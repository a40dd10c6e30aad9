import test from 'ava';
import { OPEN_TRX_FIRST_ID, runWorkload, startServer, type RestorePoint } from '../src/index.js';

const byName = (points: RestorePoint[], name: string): RestorePoint => {
  const p = points.find((q) => q.name === name);
  if (!p) throw new Error(`no restore point ${name}`);
  return p;
};

test('workload records sane restore points, including one during an open transaction', async (t) => {
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=8M', '--innodb-monitor-enable=index_page_%'] });
  t.teardown(() => srv.kill());
  const startLsn = await srv.lsn();
  const seen: string[] = [];
  const points = await runWorkload(srv, { volumeMB: 20, onPoint: (p) => void seen.push(p.name) });
  t.deepEqual(seen, points.map((p) => p.name));

  // LSNs strictly increase and the volume phase wrapped the 8 MiB circular log at least twice.
  for (let i = 1; i < points.length; i++) {
    t.true(points[i]!.lsn > points[i - 1]!.lsn, `${points[i - 1]!.name} < ${points[i]!.name}`);
  }
  const last = points[points.length - 1]!;
  t.true(last.lsn - startLsn >= 20n * 1024n * 1024n, `redo generated: ${last.lsn - startLsn}`);
  t.true(last.lsn <= (await srv.logStatus()).flushedLsn);

  // Checksums change between consecutive points where data changed.
  const r0 = byName(points, 'round-0');
  const r1 = byName(points, 'round-1');
  for (const table of ['wl.t_dynamic', 'wl.t_compact', 'wl.t_redundant', 'wl.t_blob', 'wl.t_part']) {
    t.not(r0.checksums[table], r1.checksums[table], table);
    t.not(r0.checksums[table], 'NULL');
  }
  t.deepEqual(byName(points, 'initial').rowCounts, {
    'wl.t_dynamic': 0, 'wl.t_compact': 0, 'wl.t_redundant': 0, 'wl.t_blob': 0, 'wl.t_part': 0,
  });

  // The point taken during the open transaction excludes its rows; the next one includes them.
  const open = byName(points, 'open-trx');
  const committed = byName(points, 'open-trx-committed');
  t.deepEqual(open.openTransaction, { table: 'wl.t_dynamic', rows: 500, firstId: OPEN_TRX_FIRST_ID });
  t.is(open.rowCounts['wl.t_dynamic'], r1.rowCounts['wl.t_dynamic']);
  t.is(committed.rowCounts['wl.t_dynamic'], open.rowCounts['wl.t_dynamic']! + 500);
  t.is(open.checksums['wl.t_dynamic'], r1.checksums['wl.t_dynamic'], 'uncommitted rows not in the checksum');
  t.not(open.checksums['wl.t_compact'], r1.checksums['wl.t_compact'], 'committed work during the open trx is');
  t.not(committed.checksums['wl.t_dynamic'], open.checksums['wl.t_dynamic']);

  // DDL phase: each table exists exactly at the points where it should.
  t.not(byName(points, 'ddl-created').checksums['wl.ddl_a'], 'NULL');
  t.is(byName(points, 'ddl-renamed').checksums['wl.ddl_a'], 'NULL');
  t.not(byName(points, 'ddl-renamed').checksums['wl.ddl_b'], 'NULL');
  t.is(byName(points, 'ddl-dropped').checksums['wl.ddl_b'], 'NULL');
  t.not(last.checksums['wl.ddl_c'], 'NULL');

  // B-tree pages were split, merged and reorganised.
  const metrics = Object.fromEntries(
    (await srv.query("SELECT name, count FROM information_schema.innodb_metrics WHERE name LIKE 'index_page_%'")).map((r) => [r[0]!, Number(r[1])]),
  );
  for (const m of ['index_page_splits', 'index_page_merge_successful', 'index_page_reorg_successful']) t.true(metrics[m]! > 0, `${m} = ${metrics[m]}`);

  // The final point still describes the server; the data is consistent.
  t.deepEqual(await srv.checksums(Object.keys(last.checksums)), last.checksums);
  const checks = await srv.checkTables(['wl.t_dynamic', 'wl.t_compact', 'wl.t_redundant', 'wl.t_blob', 'wl.t_part', 'wl.ddl_c']);
  t.deepEqual(new Set(Object.values(checks)), new Set(['OK']));
  t.deepEqual(srv.errorLines(), []);
  await srv.stop();
});

test('the same seed gives the same data', async (t) => {
  const a = await startServer();
  t.teardown(() => a.kill());
  const b = await startServer();
  t.teardown(() => b.kill());
  const opts = { rounds: 1, rowsPerRound: 100, openTransactionRound: 0, ddlRound: -1, seed: 7 };
  const [pa, pb] = await Promise.all([runWorkload(a, opts), runWorkload(b, opts)]);
  // 'final' is recorded only when the server's background work (purge, statistics) moved the LSN
  // after the last point, which differs from one server to the other; its data is the last point's.
  const named = (ps: typeof pa) => ps.filter((p) => p.name !== 'final').map((p) => [p.name, p.checksums]);
  t.deepEqual(named(pa), named(pb));
  for (const ps of [pa, pb]) if (ps[ps.length - 1]!.name === 'final') t.deepEqual(ps[ps.length - 1]!.checksums, ps[ps.length - 2]!.checksums);
  const other = await runWorkload(a, { ...opts, database: 'wl2', seed: 8 });
  t.not(other[1]!.checksums['wl2.t_dynamic'], pa[1]!.checksums['wl.t_dynamic']);
  await Promise.all([a.stop(), b.stop()]);
});
