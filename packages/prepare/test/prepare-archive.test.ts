import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  pointTables,
  prepareWithMariadbBackup,
  runWorkload,
  startServer,
  startServerOn,
  workloadSchema,
  type RestorePoint,
} from '@ibarchive/harness';
import { runArchiver } from '@ibarchive/log-archiver';
import type { Lsn } from '@ibarchive/parser';
import { comparePreparedDirs, describeDifference, STATE_FILE } from '../src/index.js';
import { SPILL_FILE } from '../src/spill-file.js';
import { FILE_OPS_FILE } from '../src/file-ops-progress.js';
import { copyDir, hashTree, prepareDir, saveFrms, verifyRestorePoint } from './helpers.js';

/**
 * A server with an 8 MiB circular log, archived by the log-archiver while a
 * workload runs; a mariadb-backup backup taken concurrently with DML and DDL
 * (so it holds .new/.ren/.del markers); then ~40 MB of redo, so the log wraps
 * several times after the backup. Restore points beyond the backup need the
 * archive.
 */
let work = '';
let base = '';
let archive = '';
let frmDir = '';
let points: RestorePoint[] = [];
let backupEnd = 0n;
const tables = pointTables(workloadSchema('wl'));
const cliMain = fileURLToPath(new URL('../../../cli/bundle/ibarchive.js', import.meta.url));

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'ibarchive-prepare-archive-'));
  base = join(work, 'base');
  archive = join(work, 'archive');
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=8M'] });
  const ac = new AbortController();
  let durable: Lsn = 0n;
  const events: string[] = [];
  const archiver = runArchiver({
    logPath: srv.logFile,
    archiveDir: archive,
    pollIntervalMs: 20,
    segmentSize: 4 << 20,
    segmentSeconds: 1,
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === 'progress') durable = e.durableLsn;
      else events.push(JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    },
  });
  let failed = '';
  archiver.catch((e: unknown) => (failed = String(e)));
  try {
    let backup: Promise<unknown> | undefined;
    points = await runWorkload(srv, {
      rounds: 3,
      rowsPerRound: 150,
      blobMaxKB: 60,
      volumeMB: 40,
      pointEveryMB: 8,
      onPoint: async (p) => {
        await saveFrms(srv.datadir, join(work, 'frm'));
        if (p.name === 'initial') backup = srv.backup(base);
        if (p.name === 'ddl-dropped') await backup;
      },
    });
    await backup;
    const end = await srv.lsn();
    const t0 = Date.now();
    while (durable < end) {
      if (Date.now() - t0 > 120_000) throw new Error(`archiver stuck at ${durable} < ${end}: ${failed} ${events.join(' ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    frmDir = join(work, 'frm');
    await saveFrms(srv.datadir, frmDir);
  } finally {
    ac.abort();
    await archiver.catch(() => undefined);
    await srv.kill();
  }
  const cp = await readFile(join(base, 'xtrabackup_checkpoints'), 'utf8');
  backupEnd = BigInt(/last_lsn = (\d+)/.exec(cp)![1]!);
});

test.after.always(async () => {
  if (work && process.env.IBARCHIVE_KEEP_TMP !== '1') await rm(work, { recursive: true, force: true });
});

const laterPoints = () => points.filter((p) => p.lsn >= backupEnd);

test.serial('the backup taken under load with DDL: mariadb-backup --prepare and ibarchive agree byte for byte', async (t) => {
  const ours = join(work, 'diff-ours');
  const theirs = join(work, 'diff-theirs');
  await copyDir(base, ours);
  await copyDir(base, theirs);
  await prepareWithMariadbBackup(theirs);
  const r = await prepareDir(ours, []);
  t.true(r.recordsVoidedAhead > 0, `${r.recordsVoidedAhead} records voided ahead`);
  t.deepEqual(r.warnings, []);
  t.deepEqual((await comparePreparedDirs(ours, theirs)).map(describeDifference), []);
  t.deepEqual(await readFile(join(ours, 'ib_logfile0')), await readFile(join(theirs, 'ib_logfile0')));
});

test.serial('a look-ahead that reads further than the pass (a source that changed) costs a second pass, not a wrong result', async (t) => {
  const further = join(work, 'lookahead-further');
  const plain = join(work, 'lookahead-none');
  await copyDir(base, further);
  await copyDir(base, plain);
  // The pass reads the backup's own log; the look-ahead goes on into the archive, beyond it.
  const r = await prepareDir(further, [], { lookAhead: [{ path: join(further, 'ib_logfile0') }, { path: archive }] });
  t.true(r.warnings.some((w) => /look-ahead read log that this pass did not/.test(w)), r.warnings.join('\n'));
  t.is(r.recordsVoidedAhead, 0, 'the second pass runs without hints');
  const p = await prepareDir(plain, [], { lookAhead: undefined });
  t.is(p.recordsVoidedAhead, 0);
  t.is(r.reachedLsn, p.reachedLsn);
  t.deepEqual((await comparePreparedDirs(further, plain, 16384)).map(describeDifference), []);
});

test.serial('restore points after the log wrapped many times, from the archive', async (t) => {
  const later = laterPoints();
  t.true(later.length >= 3, `${later.length} restore points after the backup`);
  const wrapped = later[later.length - 1]!.lsn - backupEnd;
  t.true(wrapped > 3n * (8n << 20n), `log wrapped ${Number(wrapped) / (8 << 20)} times after the backup`);
  for (const point of [later[0]!, later[Math.floor(later.length / 2)]!, later[later.length - 1]!]) {
    const dir = join(work, `pitr-${point.name}`);
    await copyDir(base, dir);
    const r = await prepareDir(dir, [archive], { toLsn: point.lsn });
    t.is(r.reachedLsn, point.lsn);
    t.true(r.spans.some((s) => s.source.includes('archive') || s.source.includes('.seg') || s.source !== 'ib_logfile0'));
    await verifyRestorePoint(t, dir, point, tables, frmDir);
  }
});

test.serial('targets inside the backup window: refused when a copied page is newer, else a sound server', async (t) => {
  const startLsn = await backupStart();
  let refused = 0;
  for (const f of [1n, 2n, 3n]) {
    const target = startLsn + ((backupEnd - startLsn) * f) / 4n;
    const dir = join(work, `window-${f}`);
    await copyDir(base, dir);
    const before = await hashTree(dir);
    try {
      await prepareDir(dir, [archive], { toLsn: target });
    } catch (e) {
      t.regex((e as Error).message, /page \d+ has LSN \d+, newer than the target LSN \d+: the base cannot be prepared to that point/);
      t.deepEqual(await hashTree(dir), before, 'nothing changed');
      refused++;
      continue;
    }
    const srv = await startServerOn(dir);
    try {
      const existing = tables.filter((x) => !x.includes('ddl_'));
      for (const [table, msg] of Object.entries(await srv.checkTables(existing))) t.is(msg, 'OK', table);
      t.deepEqual(srv.errorLines(), []);
    } finally {
      await srv.stop({ keepFiles: true });
    }
  }
  t.log(`${refused} of 3 targets inside the backup window refused`);
});

/** Checkpoint LSN the backup starts at (its ib_logfile0 checkpoint block 1). */
async function backupStart(): Promise<bigint> {
  const head = await readFile(join(base, 'ib_logfile0'));
  return head.readBigUInt64BE(4096);
}

test.serial('a small --use-memory (pages through the spill file) gives the same files as room for all', async (t) => {
  const point = laterPoints()[laterPoints().length - 1]!;
  const one = join(work, 'batch-one');
  const many = join(work, 'batch-many');
  await copyDir(base, one);
  await copyDir(base, many);
  const a = await prepareDir(one, [archive], { toLsn: point.lsn });
  const progress: number[] = [];
  const scratch = join(work, 'scratch');
  await mkdir(scratch);
  const b = await prepareDir(many, [archive], { toLsn: point.lsn, useMemory: 2 << 20, scratchDir: scratch, onProgress: (p) => progress.push(p.fraction) });
  t.is(a.pagesSpilled, 0);
  t.true(b.pagesSpilled > 100, `${b.pagesSpilled} pages spilled`);
  t.is(b.batches, 1);
  t.deepEqual(await readdir(scratch), [], 'the scratch file is removed');
  t.false(existsSync(join(many, SPILL_FILE)));
  await t.throwsAsync(prepareDir(many, [archive], { scratchDir: join(work, 'no-such-dir') }), { message: /--scratch-dir: not a directory: .*no-such-dir/ });
  t.deepEqual(progress, [...progress].sort((x, y) => x - y));
  t.is(progress[progress.length - 1], 1);
  t.is(b.reachedLsn, a.reachedLsn);
  t.deepEqual((await comparePreparedDirs(one, many, 16384)).map(describeDifference), []);
  await verifyRestorePoint(t, many, point, tables, frmDir);
});

function runCli(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<number> } {
  const child = spawn(process.execPath, [cliMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return { child, done };
}

test.serial('a prepare killed at any moment and re-run reaches identical files', async (t) => {
  const point = laterPoints()[laterPoints().length - 1]!;
  const clean = join(work, 'kill-clean');
  await copyDir(base, clean);
  await prepareDir(clean, [archive], { toLsn: point.lsn, useMemory: 8 << 20 });
  const args = (dir: string) => ['prepare', '--target-dir', dir, '--archived-logs-dir', archive, '--to-archived-lsn', String(point.lsn), '--use-memory', '8M'];
  await copyDir(base, join(work, 'kill-timing'));
  const t0 = Date.now();
  t.is(await runCli(args(join(work, 'kill-timing'))).done, 0);
  const duration = Date.now() - t0;
  let killedMidway = 0;
  // Kills at shares of the run (mostly while the log is read); once the state file says the directory
  // is being changed (then, and some ms later); once the first file operation is recorded (the log
  // renames a space's file and creates another under its old name: see runFileOpsResumable).
  const changing = (dir: string) => readFile(join(dir, STATE_FILE), 'utf8').then((x) => x.includes('in-progress'), () => false);
  const kills: Array<{ at: number; after?: (dir: string) => Promise<boolean> }> = [
    ...[0.2, 0.5, 0.8].map((f) => ({ at: Math.max(50, duration * f) })),
    ...[0, 20].map((ms) => ({ at: ms, after: changing })),
    // 12 operations in: ddl_b's first space renamed away and a new space created as ddl_b, not yet dropped.
    { at: 0, after: (dir: string) => readFile(join(dir, FILE_OPS_FILE), 'utf8').then((x) => (JSON.parse(x) as { done: number }).done >= 12, () => false) },
  ];
  let killedInFileOps = false;
  for (const [k, kill] of kills.entries()) {
    const frac = kill.after ? `event ${k} + ${kill.at}ms` : `${kill.at}ms`;
    const dir = join(work, `kill-${k}`);
    await copyDir(base, dir);
    const run = runCli(args(dir));
    let exited = false;
    void run.done.then(() => (exited = true));
    if (kill.after) while (!exited && !(await kill.after(dir))) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, kill.at));
    run.child.kill('SIGKILL');
    await run.done;
    const state = await readFile(join(dir, STATE_FILE), 'utf8').catch(() => '');
    if (state.includes('in-progress')) killedMidway++;
    if (state.includes('in-progress') && existsSync(join(dir, FILE_OPS_FILE))) killedInFileOps = true;
    const rerun = runCli(args(dir));
    let err = '';
    rerun.child.stderr!.on('data', (d) => (err += String(d)));
    t.is(await rerun.done, 0, err);
    t.deepEqual((await comparePreparedDirs(dir, clean)).map(describeDifference), [], `killed at ${frac}`);
    t.deepEqual(await readFile(join(dir, 'ib_logfile0')), await readFile(join(clean, 'ib_logfile0')));
    t.false(existsSync(join(dir, SPILL_FILE)) || existsSync(join(dir, FILE_OPS_FILE)), 'no scratch or progress file is left');
  }
  t.true(killedMidway >= 1, 'at least one kill landed while pages were being written');
  t.true(killedInFileOps, 'a kill landed once file operations had begun');
});

test.serial('ibarchive prepare --plan --json lists the log sources and the archive segments it reads, changing nothing', async (t) => {
  const point = laterPoints()[laterPoints().length - 1]!;
  const dir = join(work, 'plan-cli');
  await copyDir(base, dir);
  const before = await hashTree(dir);
  const run = runCli(['prepare', '--target-dir', dir, '--archived-logs-dir', archive, '--to-archived-lsn', String(point.lsn), '--plan', '--json']);
  let out = '';
  run.child.stdout!.on('data', (d) => (out += String(d)));
  t.is(await run.done, 0);
  const result = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'result')!;
  const sources = result.sources as Array<{ source: string; fromLsn: string; toLsn: string }>;
  const segments = result.segments as Array<{ file: string; startLsn: string; endLsn: string }>;
  t.true(sources.length >= 2, JSON.stringify(sources));
  t.true(segments.length >= 3, JSON.stringify(segments));
  t.is(result.reachedLsn, String(point.lsn));
  // Segments are contiguous and cover the archive part of the span.
  for (let i = 1; i < segments.length; i++) t.is(segments[i]!.startLsn, segments[i - 1]!.endLsn);
  t.true(BigInt(segments[segments.length - 1]!.endLsn) >= point.lsn);
  t.deepEqual(await hashTree(dir), before);
});
