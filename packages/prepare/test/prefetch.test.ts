import test from 'ava';
import { linearSource, memoryFile, openCircularLog, encodeLogHeader, encodeCheckpointBlock } from '@ibarchive/parser';
import { prefetching } from '../src/prefetch.js';

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

test('prefetched reads return exactly what the source returns (sequential, overlapping, past the end)', async (t) => {
  const data = bytes(9 << 20, 7);
  const src = linearSource('lin', 50000n, data);
  const pre = prefetching(src, 3 << 20);
  let lsn = 50000n;
  for (let i = 0; i < 40; i++) {
    const len = (1 << 20) + ((i * 7919) % 50000);
    const a = await pre.read(lsn, len);
    const b = await src.read(lsn, len);
    t.true(Buffer.from(a).equals(Buffer.from(b)), `read ${i} at ${lsn}`);
    lsn += BigInt(len - ((i * 104729) % 900000));
  }
});

test('a ring smaller than a chunk is read exactly as the source reads it', async (t) => {
  const file = new Uint8Array(12288 + (1 << 20));
  file.set(encodeLogHeader({ firstLsn: 12288n, creator: 'Backup 10.11.19' }), 0);
  file.set(encodeCheckpointBlock(12288n, 12288n), 4096);
  file.set(bytes(1 << 20, 3), 12288);
  const ring = await openCircularLog(memoryFile('ib_logfile0', file));
  const pre = prefetching(ring, 4 << 20);
  for (const [lsn, len] of [[12288n, 300000], [400000n, 900000], [12288n + 1000000n, 200000], [5000000n, 1 << 20]] as const) {
    t.true(Buffer.from(await pre.read(lsn, len)).equals(Buffer.from(await ring.read(lsn, len))));
  }
});

test('sequential reads of a ring larger than a chunk, across its end, equal the source reads; chunks stop at the end', async (t) => {
  const cap = 10 << 20;
  const file = new Uint8Array(12288 + cap);
  file.set(encodeLogHeader({ firstLsn: 12288n, creator: 'Backup 10.11.19' }), 0);
  file.set(encodeCheckpointBlock(12288n, 12288n), 4096);
  file.set(bytes(cap, 5), 12288);
  const ring = await openCircularLog(memoryFile('ib_logfile0', file));
  const lengths: number[] = [];
  const counting = { ...ring, read: (lsn: bigint, len: number) => (lengths.push(len), ring.read(lsn, len)), capacity: ring.capacity };
  const pre = prefetching(counting, 4 << 20);
  let lsn = 12288n + 1000n;
  for (let i = 0; i < 30; i++) {
    const len = (1 << 20) - ((i * 7919) % 4096);
    t.true(Buffer.from(await pre.read(lsn, len)).equals(Buffer.from(await ring.read(lsn, len))), `read ${i} at ${lsn}`);
    lsn += BigInt(len - 20000);
  }
  t.true(lsn > 12288n + BigInt(cap) + (4n << 20n), 'the reads went well past the ring end');
  // A chunk read that would cross the ring end is cut there (4 MiB chunks: 10 MiB = 4 + 4 + 2 - overlaps).
  t.true(lengths.some((n) => n < 4 << 20 && n > 2 << 20), `chunk lengths ${lengths.join(',')}`);
});
