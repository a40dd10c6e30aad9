// Archiver throughput: `runArchiver --once` over a real >= 270 MB redo log that sits in the page
// cache (the parse benchmark's log, copied, with its checkpoint moved to first_lsn so that the
// whole log is archived). Reports MB/s of log archived, CPU seconds per MB (both threads: the
// archiver reads and validates on the main thread, a worker thread compresses, hashes and writes)
// and the lz4 size ratio, once with the archive on the temp directory's disk (segments are
// fsynced: bounded by the disk's write speed, printed first for comparison) and once on /dev/shm
// (memory: the CPU-bound rate).
// Then the live lag while `ibarchive archive --json` follows a throwaway server running the
// harness workload (archive-lag.js).
import { loadavg } from 'node:os';
import { copyFileSync, existsSync, fsyncSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchLog } from './parse-log.js';
import { measureLag } from './archive-lag.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const P = await import(join(root, 'packages/parser/dist/src/index.js'));
const A = await import(join(root, 'packages/log-archiver/dist/src/index.js'));

/** MB/s of log made durable between the first and the last segment event. */
function steady(segs) {
  if (segs.length < 3) return 'n/a';
  const a = segs[0];
  const b = segs[segs.length - 1];
  return (Number(b.end - a.end) / 1e6 / ((b.t - a.t) / 1000)).toFixed(0);
}

/** MB/s of writing 4 files of 64 MiB into `dir`, each fsynced (what the archiver's writes cost the disk alone). */
function fsyncedWriteRate(dir) {
  const buf = new Uint8Array(64 << 20).fill(0x5a);
  const t0 = performance.now();
  for (let i = 0; i < 4; i++) {
    const fd = openSync(join(dir, `fsync-probe-${i}`), 'w', 0o600);
    writeSync(fd, buf);
    fsyncSync(fd);
    closeSync(fd);
  }
  const secs = (performance.now() - t0) / 1000;
  for (let i = 0; i < 4; i++) rmSync(join(dir, `fsync-probe-${i}`));
  return (4 * buf.length) / 1e6 / secs;
}

const { file, firstLsn } = await benchLog(root);
console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; lz4 block encoder: ${A.LZ4_ENCODER}`);
const work = mkdtempSync(join(tmpdir(), 'ibarchive-bench-'));
try {
  const log = join(work, 'ib_logfile0');
  copyFileSync(file, log);
  const fd = openSync(log, 'r+');
  writeSync(fd, P.encodeCheckpointBlock(BigInt(firstLsn), BigInt(firstLsn)), 0, 64, P.CHECKPOINT_1);
  writeSync(fd, new Uint8Array(64), 0, 64, P.CHECKPOINT_2);
  closeSync(fd);
  const places = [['disk', work]];
  if (existsSync('/dev/shm')) places.push(['memory', mkdtempSync('/dev/shm/ibarchive-bench-')]);
  for (const [place, base] of places) {
    console.log(`fsynced writes of 64 MiB files, no archiver (${place}): ${fsyncedWriteRate(base).toFixed(0)} MB/s`);
  }
  for (const [place, base] of places)
  for (const compression of ['none', 'lz4']) {
    const dir = join(base, `archive-${compression}`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const segs = [];
    const onEvent = (e) => e.type === 'segment' && segs.push({ t: performance.now(), end: e.endLsn });
    const r = await A.runArchiver({ logPath: log, archiveDir: dir, once: true, compression, onEvent });
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const mb = Number(r.archivedLsn - r.startLsn) / 1e6;
    const stored = readdirSync(dir).filter((n) => n.endsWith('.ibseg')).reduce((s, n) => s + statSync(join(dir, n)).size, 0);
    console.log(
      `archive --once --compress ${compression} (archive on ${place}): ${mb.toFixed(0)} MB of log in ${secs.toFixed(2)} s = ${(mb / secs).toFixed(0)} MB/s, ` +
        `CPU ${((cpu.user + cpu.system) / 1e6 / mb * 1000).toFixed(2)} ms/MB (all threads), ` +
        `stored ${(stored / 1e6).toFixed(0)} MB (ratio ${(stored / 1e6 / mb).toFixed(3)}), ${r.segmentsWritten} segments; ` +
        `steady state (first to last segment durable, without start-up and first-touch of fresh buffers) ${steady(segs)} MB/s`,
    );
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [, base] of places) rmSync(base, { recursive: true, force: true });
} finally {
  rmSync(work, { recursive: true, force: true });
}

{
  const pollMs = 1000;
  const segmentSeconds = 1;
  const dir = mkdtempSync(join(tmpdir(), 'ibarchive-bench-lag-'));
  try {
    const r = await measureLag(root, { pollMs, segmentSeconds, compress: 'lz4', volumeMB: 192, archiveDir: join(dir, 'archive') });
    const mb = (b) => (b / 1e6).toFixed(1);
    const polls = (s) => (s / (pollMs / 1000)).toFixed(2);
    console.log(
      `live lag (archive --json --poll-interval ${pollMs} --segment-seconds ${segmentSeconds} --compress lz4; harness workload writing ${r.rateMBs.toFixed(1)} MB/s for ${r.seconds.toFixed(1)} s):\n` +
        `  progress events (log not yet durable): lag p50 ${mb(r.events.lagBytes.p50)} MB / ${r.events.lagSeconds.p50.toFixed(2)} s, ` +
        `max ${mb(r.events.lagBytes.max)} MB / ${r.events.lagSeconds.max.toFixed(2)} s = ${polls(r.events.lagSeconds.max)} poll intervals\n` +
        `  server LSN sampled every 100 ms (${r.samples} samples): read and certified after p50 ${r.archived.p50.toFixed(2)} s, max ${r.archived.max.toFixed(2)} s ` +
        `(${polls(r.archived.max)} poll intervals); durable in a segment after p50 ${r.durable.p50.toFixed(2)} s, max ${r.durable.max.toFixed(2)} s (${polls(r.durable.max)} poll intervals)\n` +
        `  stays under one poll interval: read ${r.archived.max < pollMs / 1000 ? 'yes' : 'NO'}, durable ${r.events.lagSeconds.max < pollMs / 1000 && r.durable.max < pollMs / 1000 ? 'yes' : 'NO'} ` +
        `(a segment rolls at the first poll where its oldest byte is ${segmentSeconds} s old, and the event is sent before that segment's write completes)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
