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
    t.deepEqual(Buffer.from(a), Buffer.from(b), `read ${i} at ${lsn}`);
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
    t.deepEqual(Buffer.from(await pre.read(lsn, len)), Buffer.from(await ring.read(lsn, len)));
  }
});
