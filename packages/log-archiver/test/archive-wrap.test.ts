import test from 'ava';
import { join } from 'node:path';
import { startServer, runWorkload } from '@ibarchive/harness';
import { formatLsn, openCircularLog, readMtrBatches } from '@ibarchive/parser';
import { fileRandomAccess, openArchive } from '../src/index.js';
import { decodeArchive, followLog, tempDir, waitFor } from './helpers.js';

test('archives a log that wraps several times under load: contiguous, no gap, bytes equal the server log', async (t) => {
  const dir = await tempDir(t);
  const archiveDir = join(dir, 'archive');
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=8M'] });
  t.teardown(() => srv.stop().catch(() => undefined));
  const logPath = join(srv.datadir, 'ib_logfile0');
  const { ac, run, events, archived: archivedLsn } = followLog(logPath, archiveDir, 3 << 20);
  const startLsn = await srv.lsn();
  // After every volume step (2 BLOBs of 0.7-1.1 MB and some updates: a restore point each MB of redo)
  // the workload waits for the archiver to catch up, so the server never leads by more than one step
  // (a few MB) of its 8 MB ring however loaded the machine: an overrun here would be a bug, not a slow
  // machine (overruns are tested in cli/test/archive-overrun.test.ts).
  await runWorkload(srv, {
    rounds: 2,
    volumeMB: 40,
    pointEveryMB: 1,
    ddlRound: -1,
    onPoint: (p) => waitFor(() => archivedLsn() >= p.lsn, 60_000, `archiver to reach the restore point at ${formatLsn(p.lsn)}`),
  });
  const serverLsn = await srv.lsn();
  t.true(serverLsn - startLsn > 4n * 8n * 1024n * 1024n, `log wrapped ${Number(serverLsn - startLsn) / (8 << 20)} times`);
  await waitFor(() => archivedLsn() >= serverLsn, 60_000, `archiver to reach ${formatLsn(serverLsn)}`);
  ac.abort();
  const summary = await run;
  t.deepEqual(summary.gaps, [], JSON.stringify(events.filter((e) => e.type === 'gap' || e.type === 'error'), (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  const a = await openArchive(archiveDir);
  t.is(a.gaps.length, 0);
  t.is(a.coverage.length, 1);
  t.true(a.segments.length > 5);
  const dec = await decodeArchive(archiveDir);
  t.is(dec.reason, 'eof');
  t.is(dec.end, a.endLsn);
  t.true(dec.end >= serverLsn);

  // Stop the server cleanly so its log is static, then compare the archive with the log's last lap.
  // The ring holds the newest log's [W - capacity, W) (W = its end after shutdown); the comparison
  // starts at the first segment start (an mtr boundary) at least 1 MiB inside that lap, so the range
  // exists whatever the server's checkpoint did meanwhile.
  await srv.stop({ keepFiles: true });
  t.teardown(() => srv.removeFiles());
  const ra = await fileRandomAccess(logPath);
  t.teardown(() => ra.close());
  const log = await openCircularLog(ra);
  let logEnd = log.checkpoints.latest.checkpointLsn;
  for await (const r of readMtrBatches(log, logEnd)) if (r.kind === 'end') logEnd = r.endLsn;
  t.true(logEnd >= a.endLsn, `server log ends at ${formatLsn(logEnd)}, archive at ${formatLsn(a.endLsn)}`);
  const lapStart = logEnd - BigInt(log.capacity) + (1n << 20n);
  const from = a.segments.find((s) => s.startLsn >= lapStart)?.startLsn;
  t.truthy(from, `a segment starting after ${formatLsn(lapStart)}`);
  const src = a.source();
  let compared = 0;
  let next = from!;
  for await (const r of readMtrBatches(log, from!, { toLsn: a.endLsn })) {
    if (r.kind === 'end') {
      t.is(r.endLsn, a.endLsn, `server log read ended (${r.reason}) before the archive's end`);
      break;
    }
    t.is(r.lsn + BigInt(r.starts[0]!), next, 'batches are contiguous');
    const bytes = r.bytes.slice(r.starts[0], r.ends[r.count - 1]);
    for (let i = 0; i < r.count; i++) bytes[r.recordsEnds[i]! - r.starts[0]!] = 1;
    const mine = await src.read(next, bytes.length);
    t.is(Buffer.compare(Buffer.from(mine), Buffer.from(bytes)), 0, `bytes differ in batch at LSN ${formatLsn(r.lsn)}`);
    compared += bytes.length;
    next += BigInt(bytes.length);
  }
  t.is(next, a.endLsn, "compared up to the archive end");
  t.log(`compared ${compared} bytes from LSN ${formatLsn(from!)}`);
  t.true(compared > 1 << 20, `compared ${compared} bytes`);
});
