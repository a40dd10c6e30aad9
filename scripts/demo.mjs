// Point-in-time-restore demo on a throwaway local MariaDB (driven by scripts/demo after scripts/setup).
// Starts a server with the test harness, archives its redo log with `ibarchive archive` running as a
// child process, takes a mariadb-backup base backup, runs a workload, has an "accident" (DROP TABLE),
// finds the accident in the archive with `ibarchive find`, prepares the backup to just before it with
// `ibarchive prepare`, starts a server on the result and compares checksums with the live server's
// from just before the accident. Exit code 0 only if every checksum matches.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, startServerOn } from './harness/dist/src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'packages/cli/bundle/ibarchive.js');
const keep = process.argv.includes('--keep');
const t0 = Date.now();
const TABLES = ['shop.customers', 'shop.orders', 'shop.order_lines'];

const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const step = (msg) => console.log(`\n[${elapsed()}] == ${msg}`);
const info = (msg) => console.log(`   ${msg}`);

/** Runs `ibarchive ...args`, echoing the command; returns stdout (throws with stderr on a non-zero exit). */
function ibarchive(args, { show = true } = {}) {
  if (show) info(`$ ibarchive ${args.join(' ')}`);
  const r = spawnSync(CLI, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (show) for (const l of `${r.stdout}`.trimEnd().split('\n')) if (l) info(`  ${l}`);
  if (r.status !== 0) throw new Error(`ibarchive ${args[0]} exited with ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function workload(srv, round, rows) {
  const base = round * rows;
  const customers = Array.from({ length: rows }, (_, i) => `(${base + i}, 'customer ${base + i}', ${(base + i) % 97})`).join(',');
  await srv.exec(`INSERT INTO shop.customers VALUES ${customers}`);
  for (let k = 0; k < 4; k++) {
    const orders = Array.from({ length: rows }, (_, i) => `(${(base + i) * 4 + k}, ${base + i}, NOW(), ${(i * 7 + k) % 1000})`).join(',');
    await srv.exec(`INSERT INTO shop.orders VALUES ${orders}`);
    const lines = Array.from({ length: rows }, (_, i) => `(${(base + i) * 4 + k}, 1, REPEAT('item-${k}', ${1 + (i % 20)}))`).join(',');
    await srv.exec(`INSERT INTO shop.order_lines VALUES ${lines}`);
  }
  await srv.exec(`UPDATE shop.orders SET amount = amount + 1 WHERE id % 5 = ${round % 5}`);
  await srv.exec(`DELETE FROM shop.order_lines WHERE order_id % 11 = ${round % 11}`);
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'ibarchive-demo-'));
  const archive = join(work, 'archive');
  const backup = join(work, 'backup');
  const restore = join(work, 'restore');
  let srv;
  let restored;
  let archiver;
  try {
    step('Start a throwaway MariaDB 10.11 (own datadir, unix socket, no networking)');
    srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=16M'] });
    info(`datadir ${srv.datadir}`);

    step('Start the archiver: ibarchive archive follows ib_logfile0 into an archive directory');
    const archiverLog = [];
    archiver = spawn(CLI, ['archive', '--datadir', srv.datadir, '--archive-dir', archive, '--poll-interval', '200', '--segment-seconds', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    archiver.stdout.on('data', (d) => archiverLog.push(String(d)));
    archiver.stderr.on('data', (d) => archiverLog.push(String(d)));
    info(`$ ibarchive archive --datadir ${srv.datadir} --archive-dir ${archive} --poll-interval 200 --segment-seconds 2   (pid ${archiver.pid})`);

    step('Workload: a small shop (customers, orders, order lines)');
    await srv.exec(
      'CREATE DATABASE shop;' +
        'CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(60), region INT, KEY (region)) ENGINE=InnoDB;' +
        'CREATE TABLE shop.orders (id INT PRIMARY KEY, customer_id INT, created DATETIME, amount INT, KEY (customer_id)) ENGINE=InnoDB;' +
        'CREATE TABLE shop.order_lines (order_id INT, line INT, item VARCHAR(200), PRIMARY KEY (order_id, line)) ENGINE=InnoDB',
    );
    for (let r = 0; r < 3; r++) await workload(srv, r, 400);
    info(`server LSN ${await srv.lsn()}`);

    step('Base backup with mariadb-backup (the archive keeps the log after it)');
    await srv.backup(backup);
    info(`backup in ${backup}`);

    step('More work after the backup');
    for (let r = 3; r < 8; r++) await workload(srv, r, 400);
    const before = await srv.checksums(TABLES);
    const lsnBefore = await srv.lsn();
    for (const tb of TABLES) info(`${tb.padEnd(18)} CHECKSUM ${before[tb]}`);
    info(`server LSN ${lsnBefore} just before the accident`);

    step('The accident: DROP TABLE shop.orders (and the shop keeps running)');
    const accidentAt = new Date();
    await srv.exec('DROP TABLE shop.orders');
    for (let r = 8; r < 10; r++) {
      const rows = Array.from({ length: 300 }, (_, i) => `(${100000 + r * 1000 + i}, 'late customer', 1)`).join(',');
      await srv.exec(`INSERT INTO shop.customers VALUES ${rows}`);
    }
    info(`dropped at ${accidentAt.toISOString()}`);

    step('Wait until the archive holds the log up to now');
    const target = await srv.lsn();
    for (let i = 0; ; i++) {
      const s = JSON.parse(ibarchive(['status', '--archive-dir', archive, '--json'], { show: false }));
      if (BigInt(s.endLsn) >= target) break;
      if (i > 300) throw new Error(`the archiver did not reach LSN ${target}:\n${archiverLog.join('')}`);
      await sleep(200);
    }
    ibarchive(['status', '--archive-dir', archive]);

    step('Find the accident in the archive');
    const found = ibarchive(['find', '--archive-dir', archive, '--table', 'shop/orders', '--event', 'delete', '--json'], { show: false })
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.event === 'delete');
    if (found.length !== 1) throw new Error(`expected one DROP of shop/orders, found ${found.length}`);
    const drop = found[0];
    ibarchive(['find', '--archive-dir', archive, '--table', 'shop/orders']);
    const to = drop.restoreBeforeLsn;
    info(`=> restore to LSN ${to} (${drop.restoreBeforeBasis === 'commit' ? 'just before the mtr that committed the DROP' : 'just before the FILE_DELETE'})`);

    step('Verify the archive and that the backup can reach that LSN');
    await cp(backup, restore, { recursive: true });
    ibarchive(['verify', '--archive-dir', archive, '--target-dir', restore, '--to-archived-lsn', to]);

    step('Prepare the backup to just before the accident');
    ibarchive(['prepare', '--target-dir', restore, '--archived-logs-dir', archive, '--to-archived-lsn', to]);

    step('Start MariaDB on the restored directory and compare');
    restored = await startServerOn(restore);
    const after = await restored.checksums(TABLES);
    const checks = await restored.checkTables(TABLES);
    const liveNow = await srv.query("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'shop' AND table_name = 'orders'");
    const orders = await restored.query('SELECT COUNT(*), SUM(amount) FROM shop.orders');

    console.log(`\n================ PITR demo summary (${elapsed()}) ================`);
    console.log(`accident        DROP TABLE shop.orders at ${accidentAt.toISOString()}, FILE_DELETE at LSN ${drop.lsn}`);
    console.log(`live server     shop.orders exists: ${liveNow[0][0] === '1' ? 'yes' : 'no (dropped)'}`);
    console.log(`restored to     LSN ${to} from backup ${backup} + archive ${archive}`);
    console.log(`restored orders ${orders[0][0]} rows, total amount ${orders[0][1]}`);
    console.log(`${'table'.padEnd(18)} ${'before accident'.padEnd(16)} ${'restored'.padEnd(16)} CHECK TABLE`);
    let ok = true;
    for (const tb of TABLES) {
      const same = before[tb] === after[tb] && checks[tb] === 'OK';
      ok &&= same;
      console.log(`${tb.padEnd(18)} ${String(before[tb]).padEnd(16)} ${String(after[tb]).padEnd(16)} ${checks[tb]} ${same ? '' : '  <-- MISMATCH'}`);
    }
    const errs = restored.errorLines();
    if (errs.length) {
      ok = false;
      console.log(`restored server errors:\n  ${errs.join('\n  ')}`);
    }
    console.log(ok ? 'RESULT: SUCCESS: the dropped table is back, with the data it had just before the accident' : 'RESULT: FAILURE');
    return ok ? 0 : 1;
  } finally {
    if (archiver && archiver.exitCode === null) {
      archiver.kill('SIGTERM');
      await new Promise((r) => archiver.once('exit', r));
    }
    await restored?.stop().catch(() => undefined);
    await srv?.stop().catch(() => undefined);
    if (keep) console.log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
