import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaries } from './binaries.js';
import { runOk } from './run.js';

/**
 * InnoDB options that do not change what mariadb-install-db writes; every other `--innodb*`
 * option (page size, undo tablespaces, system tablespace path, log size, checksum, row format ...)
 * is passed to the initialisation and is part of the template's cache key.
 */
const RUNTIME_ONLY = new Set([
  'buffer-pool-size',
  'buffer-pool-chunk-size',
  'flush-log-at-trx-commit',
  'fast-shutdown',
  'max-dirty-pages-pct',
  'max-dirty-pages-pct-lwm',
  'io-capacity',
  'io-capacity-max',
  'log-buffer-size',
  'lock-wait-timeout',
  'flush-method',
  'flush-neighbors',
  'purge-threads',
  'read-io-threads',
  'write-io-threads',
  'stats-persistent',
  'stats-auto-recalc',
  'adaptive-hash-index',
  'use-native-aio',
  'force-recovery',
  'max-purge-lag',
  'max-purge-lag-wait',
  'log-write-ahead-size',
  'monitor-enable',
  'monitor-disable',
  'monitor-reset',
  'monitor-reset-all',
  'status-output',
  'status-output-locks',
  'print-all-deadlocks',
]);

/** Options among `mariadbdOptions` that influence an initialised data directory. */
export function initOptions(mariadbdOptions: string[]): string[] {
  return mariadbdOptions.filter((o) => {
    const m = /^--(?:loose[-_])?innodb[-_]([a-z0-9_-]+)/.exec(o);
    if (!m) return false;
    return !RUNTIME_ONLY.has(m[1]!.replace(/_/g, '-'));
  });
}

function installArgs(datadir: string, opts: string[]): string[] {
  return [
    '--no-defaults',
    `--datadir=${datadir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--user=root',
    ...opts,
  ];
}

/** Runs mariadb-install-db into `datadir` (which must not exist yet or be empty). */
export async function initialiseDatadir(datadir: string, opts: string[]): Promise<void> {
  await mkdir(datadir, { recursive: true });
  await runOk(binaries().installDb, installArgs(datadir, opts), { timeoutMs: 120_000 });
}

function cacheKey(opts: string[]): string {
  const b = binaries().mariadbd;
  const st = existsSync(b) ? statSync(b) : undefined;
  const ident = JSON.stringify([b, st?.size, st?.mtimeMs, [...opts].sort()]);
  return createHash('sha256').update(ident).digest('hex').slice(0, 16);
}

/** Directory holding initialised template data directories, one per set of init options. */
export function templateCacheRoot(): string {
  return process.env.IBARCHIVE_TEMPLATE_CACHE ?? join(tmpdir(), 'ibarchive-template-cache');
}

/**
 * Fills `datadir` with a freshly initialised data directory for these options: a copy of a cached
 * template made once by mariadb-install-db with the same init options, or (with
 * IBARCHIVE_NO_TEMPLATE=1) a new initialisation. Templates are published by an atomic rename, so
 * concurrent test processes never see a half-made one.
 */
export async function provideDatadir(datadir: string, mariadbdOptions: string[]): Promise<void> {
  const opts = initOptions(mariadbdOptions);
  if (process.env.IBARCHIVE_NO_TEMPLATE === '1') {
    await initialiseDatadir(datadir, opts);
    return;
  }
  const root = templateCacheRoot();
  const final = join(root, cacheKey(opts));
  const marker = join(final, 'ibarchive-template.json');
  if (!existsSync(marker)) {
    await mkdir(root, { recursive: true });
    const work = await mkdtemp(join(root, 'making-'));
    try {
      await initialiseDatadir(join(work, 'data'), opts);
      await writeFile(join(work, 'ibarchive-template.json'), JSON.stringify({ initOptions: opts }, null, 2));
      try {
        await rename(work, final);
      } catch (e) {
        if (!existsSync(marker)) throw e;
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  await cp(join(final, 'data'), datadir, { recursive: true });
}
