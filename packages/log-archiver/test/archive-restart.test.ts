import test from 'ava';
import { join } from 'node:path';
import { runWorkload, startServer, startServerOn } from '@ibarchive/harness';
import { formatLsn, type Lsn } from '@ibarchive/parser';
import { type ArchiveEvent, openArchive, runArchiver } from '../src/index.js';
import { decodeArchive, tempDir, waitFor } from './helpers.js';

test('server restarts (clean, crash, resized log) are followed without loss', async (t) => {
  const dir = await tempDir(t);
  const archiveDir = join(dir, 'archive');
  let srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=8M'] });
  const datadir = srv.datadir;
  t.teardown(() => srv.stop().catch(() => undefined));
  const ac = new AbortController();
  const events: ArchiveEvent[] = [];
  let archived: Lsn = 0n;
  const run = runArchiver({
    logPath: join(datadir, 'ib_logfile0'),
    archiveDir,
    pollIntervalMs: 20,
    segmentSize: 2 << 20,
    segmentSeconds: 1,
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === 'progress') archived = e.archivedLsn;
      else events.push(e);
    },
  });
  const catchUp = async () => {
    const lsn = await srv.lsn();
    await waitFor(() => archived >= lsn, 60_000, `archiver to reach ${formatLsn(lsn)}`);
  };
  await runWorkload(srv, { rounds: 1, ddlRound: -1, openTransactionRound: -1 });
  await catchUp();
  await srv.stop({ keepFiles: true });
  srv = await startServerOn(datadir, { mariadbdOptions: ['--innodb-log-file-size=8M'] });
  await runWorkload(srv, { database: 'wl2', rounds: 1, ddlRound: -1, openTransactionRound: -1 });
  await catchUp();
  await srv.kill({ keepFiles: true });
  srv = await startServerOn(datadir, { mariadbdOptions: ['--innodb-log-file-size=8M'] });
  await runWorkload(srv, { database: 'wl3', rounds: 1, ddlRound: -1, openTransactionRound: -1 });
  await catchUp();
  await srv.stop({ keepFiles: true });
  srv = await startServerOn(datadir, { mariadbdOptions: ['--innodb-log-file-size=12M'] });
  await runWorkload(srv, { database: 'wl4', rounds: 1, volumeMB: 20, ddlRound: -1, openTransactionRound: -1 });
  await catchUp();
  ac.abort();
  const summary = await run;
  const txt = JSON.stringify(events, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  t.deepEqual(summary.gaps, [], txt);
  t.true(events.some((e) => e.type === 'log-changed'), 'the resized log was noticed');
  const a = await openArchive(archiveDir);
  t.deepEqual(a.gaps, []);
  const d = await decodeArchive(archiveDir);
  t.is(d.reason, 'eof');
  t.is(d.end, a.endLsn);
});
