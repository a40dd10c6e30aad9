// Builds (once) the real redo log used by parse.bench.js, cached under .bench-cache/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MIN_LOG_BYTES = 270 << 20;

/**
 * Returns { file, firstLsn, endLsn } of a real ib_logfile0 holding >= 270 MB of
 * redo in its first pass (so it can be parsed from first_lsn): a throwaway
 * mariadbd with a 512 MiB log, sysbench oltp_write_only until the LSN has
 * advanced 270 MB, then a clean shutdown and a copy of the idle log.
 */
export async function benchLog(root) {
  const cache = join(root, '.bench-cache');
  const file = join(cache, 'parse-ib_logfile0');
  const metaFile = join(cache, 'parse-ib_logfile0.json');
  if (existsSync(file) && existsSync(metaFile)) return { file, ...JSON.parse(readFileSync(metaFile, 'utf8')) };
  mkdirSync(cache, { recursive: true });
  process.env.IBARCHIVE_NO_TEMPLATE = '1'; // do not keep a 512 MiB template data directory in the harness cache
  const { startServer } = await import(join(root, 'scripts/harness/dist/src/index.js'));
  console.log('building the benchmark log (once): mariadbd with a 512M log + sysbench oltp_write_only ...');
  const srv = await startServer({
    mariadbdOptions: ['--innodb-log-file-size=512M', '--innodb-buffer-pool-size=512M', '--innodb-flush-log-at-trx-commit=0'],
  });
  try {
    const start = await srv.lsn();
    await srv.exec('CREATE DATABASE sbtest');
    const sb = (...args) =>
      execFileSync('sysbench', ['oltp_write_only', `--mysql-socket=${srv.socket}`, '--mysql-user=root', '--mysql-db=sbtest',
        '--tables=4', '--table-size=50000', '--threads=4', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    sb('prepare');
    let lsn = await srv.lsn();
    while (lsn - start < BigInt(MIN_LOG_BYTES)) {
      sb('--time=10', 'run');
      lsn = await srv.lsn();
      console.log(`  redo generated: ${Number(lsn - start) >> 20} MiB`);
    }
    await srv.stop({ keepFiles: true });
    copyFileSync(join(srv.datadir, 'ib_logfile0'), file + '.tmp');
    execFileSync('rm', ['-rf', srv.datadir]);
    const { openCircularLog, memoryFile } = await import(join(root, 'packages/parser/dist/src/index.js'));
    const bytes = new Uint8Array(readFileSync(file + '.tmp'));
    const log = await openCircularLog(memoryFile('ib_logfile0', bytes));
    const firstLsn = log.header.firstLsn;
    if (lsn - firstLsn >= BigInt(log.capacity)) throw new Error('the benchmark log wrapped; lower MIN_LOG_BYTES');
    writeFileSync(metaFile, JSON.stringify({ firstLsn: String(firstLsn), endLsn: String(lsn) }));
    renameSync(file + '.tmp', file);
    return { file, firstLsn: String(firstLsn), endLsn: String(lsn) };
  } finally {
    await srv.stop().catch(() => {});
  }
}
