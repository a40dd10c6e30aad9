import test from 'ava';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runWorkload, startServer } from '@ibarchive/harness';
import { formatLsn } from '@ibarchive/parser';
import { openArchive } from '../src/index.js';
import { compareWithServerLog, decodeArchive, followLog, tempDir, waitFor } from './helpers.js';

// MariaDB 10.11 resizes the log online (SET GLOBAL innodb_log_file_size): it writes the log to both
// ib_logfile0 and a new ib_logfile101 (first_lsn = the resize's start LSN) until a checkpoint passes
// that LSN, then renames ib_logfile101 over ib_logfile0. The archiver, following ib_logfile0 by path,
// must drain the old file and continue in the new one without gap or duplicate.
test('follows online log resizes under load (grow; then two shrinks back to back) without gap or duplicate', async (t) => {
  const dir = await tempDir(t);
  const archiveDir = join(dir, 'archive');
  // SET GLOBAL innodb_log_file_size refuses sizes below innodb_log_buffer_size (16M by default).
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=8M', '--innodb-log-buffer-size=2M'] });
  t.teardown(() => srv.stop().catch(() => undefined));
  const logPath = join(srv.datadir, 'ib_logfile0');
  const { ac, run, events, archived: archivedLsn } = followLog(logPath, archiveDir, 2 << 20);
  const startLsn = await srv.lsn();
  const resized = (size: number) => !existsSync(join(srv.datadir, 'ib_logfile101')) && statSync(logPath).size === size;
  // Each resize runs concurrently with the workload's writes (not awaited in onPoint).
  const resizes: Promise<void>[] = [];
  // The last two are issued back to back (the server completes them in turn; a 12M file that is
  // ib_logfile0 only between two polls is read through the ib_logfile101 descriptor the archiver
  // holds: archive-resize-hidden.test.ts forces that case with built files).
  const plan = [
    { afterMB: 3, sizes: [16 << 20] },
    { afterMB: 8, sizes: [12 << 20, 8 << 20] },
  ];
  await runWorkload(srv, {
    rounds: 1,
    volumeMB: 13,
    pointEveryMB: 1,
    ddlRound: -1,
    openTransactionRound: -1,
    onPoint: async (p) => {
      const next = plan[resizes.length];
      if (next && p.lsn - startLsn >= BigInt(next.afterMB << 20)) {
        await Promise.all(resizes);
        const k = events.filter((e) => e.type === 'log-changed').length + next.sizes.length;
        resizes.push(
          (async () => {
            // A statement may return before its resize completes (at a later checkpoint); the next one is
            // issued at once, and the server completes them in turn. Then wait for the last rename.
            for (const size of next.sizes) await srv.exec(`SET GLOBAL innodb_log_file_size=${size}`);
            const last = next.sizes[next.sizes.length - 1]!;
            await waitFor(() => resized(last), 60_000, `ib_logfile0 to be resized to ${last}`);
            await waitFor(() => events.filter((e) => e.type === 'log-changed').length >= k, 60_000, `the archiver to switch to the resized logs`);
          })(),
        );
      }
      await waitFor(() => archivedLsn() >= p.lsn, 60_000, `archiver to reach the restore point at ${formatLsn(p.lsn)}`);
    },
  });
  await Promise.all(resizes);
  t.is(resizes.length, 2, 'both resize steps were issued');
  // More log into the final file (the last resize may complete only once the first workload is over).
  await runWorkload(srv, {
    database: 'wl2',
    rounds: 1,
    volumeMB: 3,
    pointEveryMB: 1,
    ddlRound: -1,
    openTransactionRound: -1,
    onPoint: (p) => waitFor(() => archivedLsn() >= p.lsn, 60_000, `archiver to reach the restore point at ${formatLsn(p.lsn)}`),
  });
  t.deepEqual(await srv.query('SELECT @@innodb_log_file_size'), [[String(8 << 20)]]);
  const serverLsn = await srv.lsn();
  await waitFor(() => archivedLsn() >= serverLsn, 60_000, `archiver to reach ${formatLsn(serverLsn)}`);
  ac.abort();
  const summary = await run;
  const txt = JSON.stringify(events.filter((e) => e.type !== 'segment'), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  t.deepEqual(summary.gaps, [], txt);
  const changes = events.filter((e) => e.type === 'log-changed');
  t.deepEqual(
    changes.map((e) => e.capacity),
    [(16 << 20) - 12288, (12 << 20) - 12288, (8 << 20) - 12288],
    `the archiver switched to each resized log: ${txt}`,
  );
  for (const mib of [16, 12, 8]) t.true(srv.errorLog().includes(`Resized log to ${mib}.000MiB`), `${mib} MiB resize in the error log`);

  const a = await openArchive(archiveDir);
  t.deepEqual(a.gaps, []);
  t.is(a.coverage.length, 1);
  const d = await decodeArchive(archiveDir);
  t.is(d.reason, 'eof');
  t.is(d.start, startLsn <= a.startLsn ? a.startLsn : d.start);
  t.is(d.end, a.endLsn);
  t.true(d.end >= serverLsn);

  // The final log was created by the shrink (first_lsn = its start LSN) and has not wrapped since:
  // its bytes from there on, across the switch, must equal the archive's.
  await srv.stop({ keepFiles: true });
  t.teardown(() => srv.removeFiles());
  const cmp = await compareWithServerLog(logPath, archiveDir);
  t.truthy(cmp.from, 'the archive has an mtr boundary inside the final log');
  t.is(cmp.mismatchAt, undefined, `archive differs from the server log at LSN ${cmp.mismatchAt === undefined ? '' : formatLsn(cmp.mismatchAt)}`);
  t.true(cmp.logEnd >= cmp.archiveEnd, 'the server log reaches the archive end (shutdown adds a little)');
  t.true(cmp.compared > 1 << 20, `compared ${cmp.compared} bytes`);
  // The comparison starts at the first mtr at or after the shrink's first_lsn. The archiver drained the old
  // file to an mtr boundary at or after that first_lsn (else it would have recorded a gap), so the
  // compared range covers the switch from the old file to the new one.
  t.true(cmp.from! - changes[2]!.firstLsn < 64n << 10n, `comparison starts at ${formatLsn(cmp.from!)}, the shrink's first_lsn is ${formatLsn(changes[2]!.firstLsn)}`);
  t.log(`compared ${cmp.compared} bytes from LSN ${formatLsn(cmp.from!)}; resized logs started at ${changes.map((e) => formatLsn(e.firstLsn)).join(', ')}`);
});
