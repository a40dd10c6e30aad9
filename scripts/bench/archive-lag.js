// Live lag of `ibarchive archive` (the CLI, --json) following a throwaway server that runs the
// harness workload. Used by archive.bench.js.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

/** p-quantile (0..1) of numbers. */
function quantile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/**
 * Starts a server, runs `ibarchive archive --json` on it and the harness workload (a volume phase
 * so that it lasts several seconds). Returns the workload's write rate and three lag measures:
 *  - events: lagBytes / lagSeconds of the archiver's own progress events (log the server wrote
 *    that is not yet durable in a segment file);
 *  - archived: for each server LSN sampled every 100 ms, the delay until a progress event's
 *    archivedLsn (read and certified, in memory) passed it;
 *  - durable: the same until a segment event's endLsn (on disk, fsynced) passed it.
 */
export async function measureLag(root, { pollMs, segmentSeconds, compress, volumeMB, archiveDir }) {
  const { startServer, runWorkload } = await import(join(root, 'scripts/harness/dist/src/index.js'));
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=256M'] });
  const cli = spawn(process.execPath, [
    join(root, 'packages/cli/bundle/ibarchive.js'), 'archive', '--datadir', srv.datadir, '--archive-dir', archiveDir,
    '--json', '--poll-interval', String(pollMs), '--segment-seconds', String(segmentSeconds), '--compress', compress,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  const progress = [];
  const segments = [];
  const exited = new Promise((resolve) => cli.once('exit', resolve));
  createInterface({ input: cli.stdout }).on('line', (line) => {
    const t = performance.now();
    const e = JSON.parse(line);
    if (e.type === 'progress') progress.push({ t, archived: BigInt(e.archivedLsn), lagBytes: Number(e.lagBytes), lagSeconds: e.lagSeconds });
    if (e.type === 'segment') segments.push({ t, end: BigInt(e.endLsn) });
  });
  const samples = [];
  try {
    while (progress.length === 0) await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const lsn0 = await srv.lsn();
    let done = false;
    const sampler = (async () => {
      while (!done) {
        samples.push({ t: performance.now(), lsn: await srv.lsn() });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await runWorkload(srv, { rounds: 3, volumeMB, pointEveryMB: 16, ddlRound: -1, openTransactionRound: -1 });
    const secs = (performance.now() - t0) / 1000;
    const bytes = Number((await srv.lsn()) - lsn0);
    done = true;
    await sampler;
    // Let the archiver make every sample durable, then stop it.
    const last = samples[samples.length - 1].lsn;
    const until = performance.now() + 30_000;
    while (!(segments.length && segments[segments.length - 1].end >= last) && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
    const firstAfter = (list, lsn, t, key) => list.find((x) => x.t >= t && x[key] >= lsn);
    const archivedDelay = [];
    const durableDelay = [];
    for (const s of samples) {
      const a = firstAfter(progress, s.lsn, s.t, 'archived');
      const d = firstAfter(segments, s.lsn, s.t, 'end');
      if (a) archivedDelay.push((a.t - s.t) / 1000);
      if (d) durableDelay.push((d.t - s.t) / 1000);
    }
    const during = progress.filter((p) => p.t >= t0);
    return {
      rateMBs: bytes / 1e6 / secs,
      seconds: secs,
      samples: samples.length,
      events: {
        lagBytes: { p50: quantile(during.map((p) => p.lagBytes), 0.5), max: Math.max(...during.map((p) => p.lagBytes)) },
        lagSeconds: { p50: quantile(during.map((p) => p.lagSeconds), 0.5), max: Math.max(...during.map((p) => p.lagSeconds)) },
      },
      archived: { p50: quantile(archivedDelay, 0.5), max: Math.max(...archivedDelay), missing: samples.length - archivedDelay.length },
      durable: { p50: quantile(durableDelay, 0.5), max: Math.max(...durableDelay), missing: samples.length - durableDelay.length },
    };
  } finally {
    cli.kill('SIGTERM');
    await exited;
    await srv.stop();
  }
}
