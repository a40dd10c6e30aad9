import test from 'ava';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pointTables, runWorkload, startServer, startServerOn, workloadSchema } from '@ibarchive/harness';
import { makeOutput } from '../src/output.js';
import { run } from '../src/run.js';
import { parseSize } from '../src/commands/prepare.js';

/** The command as installed (the bundle, see build-bundle.mjs). */
const main = fileURLToPath(new URL('../../bundle/ibarchive.js', import.meta.url));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, makeOutput((s) => (out += s), (s) => (err += s)));
  return { code, out, err };
}

async function spawnCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [main, ...args]);
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

test('prepare --help documents every flag with an example', async (t) => {
  const r = await cli(['prepare', '--help']);
  t.is(r.code, 0);
  for (const flag of ['--target-dir', '--archived-logs-dir', '--to-archived-lsn', '--use-memory', '--parallel', '--plan', '--json', 'Example']) {
    t.true(r.out.includes(flag), flag);
  }
});

test('sizes for --use-memory', (t) => {
  t.is(parseSize('1G'), 1 << 30);
  t.is(parseSize('512M'), 512 << 20);
  t.is(parseSize('100m'), 100 << 20);
  t.is(parseSize('65536'), 65536);
  t.is(parseSize('1.5G'), 1.5 * 2 ** 30);
  t.is(parseSize('lots'), undefined);
  t.is(parseSize('0'), undefined);
});

test('bad flags are usage errors (exit 2); a directory that is no backup is bad input (exit 3)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-cli-prep-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.is((await cli(['prepare'])).code, 2);
  const lsn = await cli(['prepare', '--target-dir', dir, '--to-archived-lsn', 'soon']);
  t.is(lsn.code, 2);
  t.regex(lsn.err, /--to-archived-lsn: not an LSN: soon/);
  t.is((await cli(['prepare', '--target-dir', dir, '--use-memory', 'lots'])).code, 2);
  t.is((await cli(['prepare', '--target-dir', dir, '--parallel', '0'])).code, 2);
  await mkdir(join(dir, 'empty'));
  const r = await spawnCli(['prepare', '--target-dir', join(dir, 'empty')]);
  t.is(r.code, 3);
  t.regex(r.err, /is not a mariadb-backup directory/);
});

test('prepare of a real backup: --plan changes nothing, --json reports the LSN reached, the server starts, a target behind is refused (exit 6)', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'ibarchive-cli-prep-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=32M'] });
  let points: Awaited<ReturnType<typeof runWorkload>> = [];
  const base = join(work, 'base');
  try {
    let backup: Promise<unknown> | undefined;
    points = await runWorkload(srv, {
      rounds: 1,
      rowsPerRound: 100,
      blobMaxKB: 40,
      ddlRound: -1,
      onPoint: async (p) => {
        if (p.name === 'initial') backup = srv.backup(base);
      },
    });
    await backup;
  } finally {
    await srv.kill();
  }
  const dir = join(work, 'dir');
  await cp(base, dir, { recursive: true });
  const before = await readFile(join(dir, 'ibdata1'));

  const plan = await cli(['prepare', '--target-dir', dir, '--plan']);
  t.is(plan.code, 0, plan.err);
  t.regex(plan.out, /Plan \(dry run, nothing written\)/);
  t.regex(plan.out, /log source +.*ib_logfile0/);
  t.deepEqual(await readFile(join(dir, 'ibdata1')), before);
  t.regex(await readFile(join(dir, 'xtrabackup_checkpoints'), 'utf8'), /full-backuped/);

  const r = await cli(['prepare', '--target-dir', dir, '--json']);
  t.is(r.code, 0, r.err);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; reachedLsn?: string; percent?: number });
  const result = lines.find((l) => l.event === 'result')!;
  t.truthy(result);
  t.true(lines.some((l) => l.event === 'progress' && l.percent === 100));
  const cp0 = await readFile(join(dir, 'xtrabackup_checkpoints'), 'utf8');
  t.regex(cp0, /backup_type = log-applied/);
  const lastLsn = /last_lsn = (\d+)/.exec(cp0)![1]!;
  t.is(result.reachedLsn, lastLsn);

  const behind = await spawnCli(['prepare', '--target-dir', dir, '--to-archived-lsn', '1000']);
  t.is(behind.code, 6);
  t.regex(behind.err, /^ibarchive: target LSN 1000 is behind the LSN this directory was already prepared to/);

  // The backup's end is no restore point: check the restored server's tables are sound.
  const restored = await startServerOn(dir);
  try {
    const tables = pointTables(workloadSchema('wl')).filter((x) => points.at(-1)!.checksums[x] !== 'NULL');
    for (const [table, msg] of Object.entries(await restored.checkTables(tables))) t.is(msg, 'OK', table);
    t.deepEqual(restored.errorLines(), []);
  } finally {
    await restored.stop({ keepFiles: true });
  }
  await writeFile(join(work, 'done'), '');
});
