import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchiveEvent } from '../src/events.js';
import { PendingSegment } from '../src/pending.js';
import { HEADER_ROOM } from '../src/segment-format.js';
import { SegmentSink } from '../src/sink.js';
import { readSegmentFile } from '../src/segment-io.js';
import { SegmentWriterThread } from '../src/segment-writer.js';
import { tempDir, waitFor } from './helpers.js';

const ID = { archiveId: 'cd'.repeat(16), originFirstLsn: 1000n, creator: 'MariaDB 10.11.19', logFormat: 0x50687973 };

/** `n` payload bytes preceded by HEADER_ROOM free bytes in their buffer, as the archiver hands them over. */
function payload(n: number): Uint8Array {
  const buf = new Uint8Array(HEADER_ROOM + n);
  buf.set(randomBytes(n), HEADER_ROOM);
  return buf.subarray(HEADER_ROOM);
}

for (const compression of ['none', 'lz4'] as const) {
  test(`writer thread (${compression}): outstanding jobs are chained by hash, files 0600, bytes intact, no temp file left`, async (t) => {
    const dir = await tempDir(t);
    const w = new SegmentWriterThread();
    t.teardown(() => w.close());
    const sizes = [5 << 20, 3 << 20, 1 << 20];
    const copies: Uint8Array[] = [];
    let lsn = 1000n;
    const jobs = sizes.map((n, i) => {
      const p = payload(n);
      copies.push(p.slice());
      const start = lsn;
      lsn += BigInt(n);
      // All three are outstanding at once; only the first names its previous hash.
      return w.write(dir, ID, start, p, { compression, previousHash: i === 0 ? 'ee'.repeat(32) : undefined, samples: [], headerRoom: true }, i > 0);
    });
    const done = await Promise.all(jobs);
    let previous = 'ee'.repeat(32);
    for (const [i, r] of done.entries()) {
      t.is(Buffer.compare(r.payload, copies[i]!), 0, 'the buffer comes back with the payload');
      const path = join(dir, r.segment.name);
      const seg = await readSegmentFile(path);
      t.is(seg.header.previousHash, previous);
      t.is(Buffer.compare(seg.payload, copies[i]!), 0);
      t.is(seg.hash, createHash('sha256').update(await readFile(path)).digest('hex'));
      t.is(seg.hash, r.segment.hash);
      t.is((await stat(path)).mode & 0o777, 0o600);
      previous = seg.hash;
    }
    t.deepEqual((await readdir(dir)).sort(), done.map((r) => r.segment.name).sort(), 'no temp file left');
  });
}

test('writer thread: once a job fails, every later job fails and publishes nothing', async (t) => {
  const dir = await tempDir(t);
  const w = new SegmentWriterThread();
  t.teardown(() => w.close());
  const opts = { compression: 'none' as const, previousHash: undefined, samples: [], headerRoom: true };
  const bad = w.write(join(dir, 'missing'), ID, 1000n, payload(1 << 20), opts);
  const later = w.write(dir, ID, 1000n + BigInt(1 << 20), payload(1 << 20), opts, true);
  const e = await t.throwsAsync(bad);
  t.is((e as NodeJS.ErrnoException).code, 'ENOENT');
  await t.throwsAsync(later);
  t.deepEqual(await readdir(dir), [], 'nothing published, no temp file left');
  await t.throwsAsync(w.write(dir, ID, 1000n, payload(1 << 20), opts), undefined, 'the thread stays failed');
});

test('sink: a segment stops counting as in flight as soon as it is durable (lag is measured from there)', async (t) => {
  const dir = await tempDir(t);
  const w = new SegmentWriterThread();
  t.teardown(() => w.close());
  const events: ArchiveEvent[] = [];
  const identity = { ...ID, createdAt: 'x', startLsn: 1000n };
  const sink = new SegmentSink(dir, identity, 'none', undefined, (e) => events.push(e), w);
  const pending = new PendingSegment(1000n, 1 << 20);
  const mtr = new Uint8Array(16);
  mtr[0] = 0xfa;
  pending.appendBatch({ kind: 'batch', bytes: mtr, lsn: 1000n, count: 1, starts: Uint32Array.of(0), recordsEnds: Uint32Array.of(11), ends: Uint32Array.of(16) }, 0);
  await sink.submit(pending);
  t.is(sink.inFlightFrom, 1000n);
  await waitFor(() => events.some((e) => e.type === 'segment'), 10_000, 'the segment event');
  t.is(sink.inFlightFrom, undefined, 'durable without another submit or drain');
  t.is(sink.durableLsn, 1016n);
  await sink.drain();
});
