// Prepare throughput: a mariadb-backup backup whose own log holds ~250 MB of sysbench
// oltp_write_only redo (built once, cached in .bench-cache/prepare-base; `--throttle` keeps the
// data copy slow so the load runs during the backup), then on fresh copies: `mariadb-backup
// --prepare` (defaults, and --use-memory=1G) and `ibarchive prepare` (defaults, and --use-memory=128M for information). Prints wall time,
// redo MB/s, peak RSS (/usr/bin/time -v) and the ratio of ibarchive to the faster mariadb-backup.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cache = join(root, '.bench-cache', 'prepare-base');
const targetMB = Number(process.env.PREPARE_BENCH_MB ?? 250);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.slice(-2000)}`);
  return r;
}

async function buildBase() {
  const H = await import(join(root, 'scripts/harness/dist/src/index.js'));
  const srv = await H.startServer({
    mariadbdOptions: ['--innodb-log-file-size=1G', '--innodb-buffer-pool-size=512M', '--max-connections=100'],
  });
  const tmp = cache + '.tmp';
  rmSync(tmp, { recursive: true, force: true });
  try {
    await srv.exec('CREATE DATABASE sbtest');
    const common = ['--db-driver=mysql', `--mysql-socket=${srv.socket}`, '--mysql-user=root', '--mysql-db=sbtest', '--tables=8', '--table-size=100000'];
    sh('sysbench', ['oltp_write_only', ...common, '--threads=4', 'prepare']);
    // The backup's log starts at the latest checkpoint: flush every page the bulk load dirtied and
    // wait for the checkpoint, so that the log holds oltp_write_only redo, not the load (~210 MB).
    await srv.exec('SET GLOBAL innodb_max_dirty_pages_pct_lwm=0.001');
    await srv.exec('SET GLOBAL innodb_max_dirty_pages_pct=0.001');
    for (let i = 0; ; i++) {
      const age = (await srv.lsn()) - (await srv.checkpointLsn());
      if (age < 1_000_000n) break;
      if (i > 600) throw new Error(`the checkpoint did not catch up after the load (age ${age})`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await srv.exec('SET GLOBAL innodb_max_dirty_pages_pct=90');
    await srv.exec('SET GLOBAL innodb_max_dirty_pages_pct_lwm=0');
    const load = spawn('sysbench', ['oltp_write_only', ...common, '--threads=4', '--time=600', '--report-interval=0', 'run'], { stdio: 'ignore' });
    const backup = spawn(
      'mariadb-backup',
      ['--no-defaults', '--backup', `--target-dir=${tmp}`, `--socket=${srv.socket}`, '--user=root', `--datadir=${srv.datadir}`, '--throttle=2'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let backupErr = '';
    backup.stderr.on('data', (d) => (backupErr += d));
    const backupDone = new Promise((res) => backup.on('exit', (code) => res(code)));
    const log = join(tmp, 'ib_logfile0');
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const size = existsSync(log) ? statSync(log).size : 0;
      if (size >= targetMB * 1e6) break;
      if (backup.exitCode !== null) break;
    }
    load.kill('SIGTERM');
    const code = await backupDone;
    if (code !== 0) throw new Error(`mariadb-backup failed: ${backupErr.slice(-3000)}`);
  } finally {
    await srv.kill();
  }
  rmSync(cache, { recursive: true, force: true });
  sh('mv', [tmp, cache]);
}

function timed(label, cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  // mariadb-backup's Aria recovery can fail on an Aria log copied mid-write; the InnoDB part (what
  // is compared) was complete once InnoDB shut down.
  const ariaOnly = /InnoDB: Starting shutdown/.test(r.stderr) && /Aria/.test(r.stderr);
  if (r.status !== 0 && !ariaOnly) throw new Error(`${label} failed (${r.status}): ${(r.stdout + r.stderr).slice(-3000)}`);
  if (r.status !== 0) label += ' (Aria step failed after InnoDB finished)';
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const secs = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  return { label, secs, rss, out: r.stdout };
}

if (!existsSync(join(cache, 'xtrabackup_checkpoints'))) {
  console.log(`building the cached base (~${targetMB} MB of sysbench redo in a backup's own log) ...`);
  await buildBase();
}
const logMB = (statSync(join(cache, 'ib_logfile0')).size - 12288) / 1e6;
console.log(`base: ${cache}, own log ${logMB.toFixed(0)} MB`);
const work = join(tmpdir(), `ibarchive-prepare-bench-${process.pid}`);
mkdirSync(work);
const results = [];
// Rounds interleave the runs (the disk still flushing or discarding one run's files slows
// the next); each run's median is reported.
const rounds = Number(process.env.PREPARE_BENCH_ROUNDS ?? 3);
try {
  const runs = [
    ['mariadb-backup --prepare', 'mariadb-backup', (d) => ['--no-defaults', '--prepare', `--target-dir=${d}`]],
    ['mariadb-backup --prepare --use-memory=1G', 'mariadb-backup', (d) => ['--no-defaults', '--prepare', '--use-memory=1G', `--target-dir=${d}`]],
    // Run as installed (`ibarchive`): its #! line carries the node flags it is meant to run with.
    ['ibarchive prepare', join(root, 'packages/cli/bundle/ibarchive.js'), (d) => ['prepare', '--target-dir', d]],
    // For information (not in the ratio): about mariadb-backup's default memory, pages spilled to a scratch file.
    ['ibarchive prepare --use-memory=128M', join(root, 'packages/cli/bundle/ibarchive.js'), (d) => ['prepare', '--use-memory=128M', '--target-dir', d]],
  ];
  const all = runs.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, [label, cmd, args]] of runs.entries()) {
      const d = join(work, 'copy');
      rmSync(d, { recursive: true, force: true });
      sh('cp', ['-r', cache, d]);
      sh('sync', []);
      await new Promise((r) => setTimeout(r, 1000));
      const r = timed(label, cmd, args(d));
      all[i].push(r);
      console.log(`  round ${round + 1}: ${r.label.padEnd(42)} ${r.secs.toFixed(2).padStart(7)} s  peak RSS ${r.rss.toFixed(0)} MiB`);
    }
  }
  for (const list of all) {
    const sorted = [...list].sort((a, b) => a.secs - b.secs);
    const r = sorted[Math.floor(sorted.length / 2)];
    results.push({ ...r, runs: list.map((x) => x.secs) });
    console.log(`${r.label.padEnd(42)} ${r.secs.toFixed(2).padStart(7)} s (median of ${list.length})  ${(logMB / r.secs).toFixed(0).padStart(4)} MB/s of redo  peak RSS ${r.rss.toFixed(0)} MiB`);
  }
  const ours = results[2];
  const best = Math.min(results[0].secs, results[1].secs);
  console.log(`ratio ibarchive / fastest mariadb-backup = ${(ours.secs / best).toFixed(2)} (<= 1.0 means ibarchive is as fast or faster)`);
  writeFileSync(join(root, '.bench-cache', 'prepare-last.json'), JSON.stringify({ logMB, results: results.map(({ out, ...r }) => r) }, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
