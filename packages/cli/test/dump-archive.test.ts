import test from 'ava';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestBackup } from '@ibarchive/log-archiver';
import { ROOT, runCli } from './dump-helpers.js';

/**
 * dump over an archive: the backup fixture's log ingested into an archive of
 * small lz4 segments must decode to the same records, the same record type
 * counts and the same end LSN as the backup log itself; one segment file
 * decodes on its own.
 */
test('dump of an archive equals dump of the backup it was made from', async (t) => {
  const backup = join(ROOT, 'testdata', 'backup');
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-dump-archive-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const archiveDir = join(dir, 'archive');
  await ingestBackup({ backupDir: backup, archiveDir, segmentSize: 1 << 20 });

  const fromBackup = await runCli(['dump', backup, '--stats', '--json']);
  const fromArchive = await runCli(['dump', archiveDir, '--stats', '--json']);
  t.is(fromArchive.code, 0, fromArchive.err.join('\n'));
  const b = JSON.parse(fromBackup.out[0]!) as Record<string, any>;
  const a = JSON.parse(fromArchive.out[0]!) as Record<string, any>;
  t.is(a['summary'].kind, 'archive');
  t.is(a['summary'].endLsn, b['summary'].endLsn);
  t.is(a['summary'].firstLsn, b['summary'].firstLsn);
  t.is(a['summary'].mtrs, b['summary'].mtrs);
  t.deepEqual(a['types'], b['types']);
  t.is(a['pagesTouched'], b['pagesTouched']);

  const all = await runCli(['dump', archiveDir]);
  const same = await runCli(['dump', backup]);
  t.deepEqual(all.out.slice(1, -1), same.out.slice(1, -1), 'identical record lines');

  const segments = (await readdir(archiveDir, { recursive: true })).filter((f) => /\.ibseg$/.test(String(f))).sort();
  t.true(segments.length >= 2, `segments: ${segments.join(', ')}`);
  const seg = await runCli(['dump', join(archiveDir, String(segments[1])), '--stats', '--json']);
  t.is(seg.code, 0, seg.err.join('\n'));
  const s = JSON.parse(seg.out[0]!) as Record<string, any>;
  t.is(s['summary'].kind, 'segment');
  t.true(BigInt(s['summary'].firstLsn) > BigInt(b['summary'].firstLsn));
  t.true(BigInt(s['summary'].endLsn) <= BigInt(b['summary'].endLsn));
  t.true(s['summary'].mtrs > 0);
});
