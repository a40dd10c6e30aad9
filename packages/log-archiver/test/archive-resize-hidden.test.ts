import test from 'ava';
import { renameSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINT_1, crc32c, encodeCheckpointBlock, encodeLogHeader, type Lsn, START_OFFSET } from '@ibarchive/parser';
import { type ArchiveEvent, openArchive, runArchiver } from '../src/index.js';
import { decodeArchive, tempDir, waitFor } from './helpers.js';

/** FILE_CHECKPOINT(lsn) as a 16-byte mtr with terminator 1 (the sequence bit of a ring's first pass). */
function mtr(lsn: Lsn): Uint8Array {
  const m = new Uint8Array(16);
  m[0] = 0xfa;
  new DataView(m.buffer).setBigUint64(3, lsn);
  m[11] = 1;
  new DataView(m.buffer).setUint32(12, crc32c(m.subarray(0, 11)));
  return m;
}

/** An ib_logfile0 of `capacity` bytes of ring starting at `first`, holding mtr(lsn) for lsn in [from, to), checkpoint `from`. */
function ring(first: Lsn, from: Lsn, to: Lsn, capacity: number): Uint8Array {
  const f = new Uint8Array(START_OFFSET + capacity);
  f.set(encodeLogHeader({ firstLsn: first, creator: 'MariaDB 10.11.19' }), 0);
  f.set(encodeCheckpointBlock(from, from), CHECKPOINT_1);
  for (let l = from; l < to; l += 16n) f.set(mtr(l), START_OFFSET + Number(l - first));
  return f;
}

// Two online resizes completing between two polls: B (the first resize's file) is ib_logfile0 only
// for an instant before C replaces it. B alone holds the log between A's end and C's first_lsn.
test('a resized log that was ib_logfile0 only between two polls is read through the ib_logfile101 descriptor: no gap', async (t) => {
  const dir = await tempDir(t);
  const logPath = join(dir, 'ib_logfile0');
  const archiveDir = join(dir, 'archive');
  const A = { from: 50000n, to: 53200n };
  const B = { from: 52000n, to: 60000n };
  const C = { from: 58000n, to: 66000n };
  await writeFile(logPath, ring(A.from, A.from, A.to, 64 << 10));
  const ac = new AbortController();
  const events: ArchiveEvent[] = [];
  let archived: Lsn = 0n;
  let polls = 0;
  const run = runArchiver({
    logPath,
    archiveDir,
    pollIntervalMs: 20,
    segmentSeconds: 0.05,
    compression: 'none',
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === 'progress') (archived = e.archivedLsn), polls++;
      else events.push(e);
    },
  });
  run.catch(() => undefined);
  t.teardown(() => ac.abort());
  await waitFor(() => archived >= A.to, 10_000, 'A archived');
  await writeFile(join(dir, 'tmp-b'), ring(B.from, B.from, B.to, 128 << 10));
  await writeFile(join(dir, 'tmp-c'), ring(C.from, C.from, C.to, 96 << 10));
  renameSync(join(dir, 'tmp-b'), join(dir, 'ib_logfile101'));
  const seen = polls;
  await waitFor(() => polls >= seen + 3, 10_000, 'polls while ib_logfile101 exists');
  // In one tick: B over ib_logfile0, then C over it.
  renameSync(join(dir, 'ib_logfile101'), logPath);
  renameSync(join(dir, 'tmp-c'), logPath);
  await waitFor(() => archived >= C.to, 10_000, `C archived (at ${archived})`);
  ac.abort();
  const summary = await run;
  const txt = JSON.stringify(events.filter((e) => e.type !== 'segment'), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  t.deepEqual(summary.gaps, [], txt);
  t.deepEqual(
    events.filter((e) => e.type === 'log-changed').map((e) => [e.firstLsn, e.capacity]),
    [
      [B.from, 128 << 10],
      [C.from, 96 << 10],
    ],
    txt,
  );
  const a = await openArchive(archiveDir);
  t.deepEqual(a.gaps, []);
  const d = await decodeArchive(archiveDir);
  t.deepEqual([d.start, d.end, d.reason, d.mtrs], [A.from, C.to, 'eof', Number((C.to - A.from) / 16n)]);
  const bytes = await a.source().read(A.from, Number(C.to - A.from));
  let same = true;
  for (let l = A.from; l < C.to; l += 16n) same &&= Buffer.compare(Buffer.from(bytes.subarray(Number(l - A.from), Number(l - A.from) + 16)), Buffer.from(mtr(l))) === 0;
  t.true(same, 'every archived mtr is the one of its LSN');
});
