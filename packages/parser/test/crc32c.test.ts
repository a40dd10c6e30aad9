import test from 'ava';
import { crc32c } from '../src/index.js';

test('crc32c check value', (t) => {
  t.is(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
});

test('crc32c chaining equals one pass', (t) => {
  const data = new Uint8Array(1000).map((_, i) => (i * 31) & 0xff);
  t.is(crc32c(data.subarray(300), crc32c(data.subarray(0, 300))), crc32c(data));
});

test('crc32c of the first FILE_CHECKPOINT mtr in the format doc', (t) => {
  // fa 00 00 00 00 00 00 00 00 ad 74 -> CRC ad d4 e8 f9 (redo-format.md 3.4)
  const rec = Uint8Array.from([0xfa, 0, 0, 0, 0, 0, 0, 0, 0, 0xad, 0x74]);
  t.is(crc32c(rec), 0xadd4e8f9);
});

test('crc32c agrees with the crc-32 package on every length and offset up to 100', async (t) => {
  const { createRequire } = await import('node:module');
  const ref = createRequire(import.meta.url)('crc-32/crc32c') as { buf(d: Uint8Array, seed?: number): number };
  const { crc32cRange } = await import('../src/index.js');
  const data = new Uint8Array(300).map((_, i) => (i * 131 + 7) & 0xff);
  for (let start = 0; start < 20; start++) {
    for (let len = 0; len <= 100; len++) {
      const want = ref.buf(data.subarray(start, start + len)) >>> 0;
      t.is(crc32cRange(data, start, start + len), want);
      t.is(crc32c(data.subarray(start, start + len)), want);
    }
  }
});

test('native and table CRC-32C agree on large ranges, with seeds and odd offsets', async (t) => {
  const { crc32cRange, crc32cTable, nativeCrc32cAvailable } = await import('../src/index.js');
  // The native package is an optional dependency of a supported platform; on linux-x64 it must load.
  if (process.platform === 'linux' && process.arch === 'x64') t.true(nativeCrc32cAvailable);
  const data = new Uint8Array(70000).map((_, i) => (i * 2654435761) >>> 24);
  for (const [start, end, seed] of [[0, 16384, 0], [3, 16387, 0x12345678], [1, 2048 + 1, 7], [0, 70000, 0], [5, 2047 + 5, 1]] as const) {
    t.is(crc32cRange(data, start, end, seed), crc32cTable(data, start, end, seed), `range ${start}..${end}`);
  }
});
