import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { decompressFrameSync } from 'lz4-napi';
import { compressLz4Frame, compressLz4FrameSync, LZ4_BLOCK_SIZE, LZ4_ENCODER, LZ4_ENCODERS, LZ4_FRAME_HEADER } from '../src/lz4-frame.js';

const REAL = new Uint8Array(readFileSync(fileURLToPath(new URL('../../../../testdata/server-fresh/ib_logfile0', import.meta.url))));
const hasLz4Cli = spawnSync('lz4', ['--version']).status === 0;

function random(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

test('frame header: magic, FLG 0x60 (independent blocks, no checksums), BD 0x70 (4 MiB), header checksum 0x73', (t) => {
  t.is(Buffer.from(LZ4_FRAME_HEADER).toString('hex'), '04224d18607073');
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const cases: [string, Uint8Array][] = [
  ['empty', new Uint8Array(0)],
  ['zeros across two blocks', new Uint8Array(LZ4_BLOCK_SIZE + 1000)],
  ['random (stored uncompressed)', random(300_000, 7)],
  ['real redo + random: one compressed block, one mixed', concat(REAL, random(1 << 20, 9))],
];

test('encoders: liblz4 is used whenever the optional `lz4` package is installed', (t) => {
  let installed = true;
  try {
    createRequire(import.meta.url).resolve('lz4');
  } catch {
    installed = false;
  }
  t.is(LZ4_ENCODER, installed ? 'liblz4' : 'lz4-napi');
  t.log(`encoders here: ${LZ4_ENCODERS.join(', ')}`);
});

for (const encoder of LZ4_ENCODERS)
  for (const [name, input] of cases) {
    test(`${encoder}: round trip, ${name}: lz4-napi and the lz4 tool decode it; sync and async agree`, async (t) => {
      const a = compressLz4FrameSync(input, { room: 0 }, encoder);
      const b = await compressLz4Frame(input, { room: 0 }, encoder);
      t.is(Buffer.compare(a, b), 0, 'sync and async frames are identical');
      t.deepEqual(Buffer.from(a.subarray(0, 7)), Buffer.from(LZ4_FRAME_HEADER));
      t.deepEqual(Buffer.from(a.subarray(a.length - 4)), Buffer.alloc(4), 'end mark');
      t.true(a.length <= input.length + 11 + 4 * Math.ceil(input.length / LZ4_BLOCK_SIZE));
      t.is(Buffer.compare(decompressFrameSync(Buffer.from(a)), Buffer.from(input)), 0);
      if (hasLz4Cli) t.is(Buffer.compare(execFileSync('lz4', ['-d', '-c'], { input: a, maxBuffer: 64 << 20 }), Buffer.from(input)), 0);
      else t.log('lz4 tool not installed: decoded with lz4-napi only');
    });
  }

for (const encoder of LZ4_ENCODERS) {
  test(`${encoder}: random blocks are stored with bit 31 of their size set; real redo shrinks`, (t) => {
    const f = compressLz4FrameSync(random(1000, 3), { room: 0 }, encoder);
    t.is(new DataView(f.buffer, f.byteOffset).getUint32(7, true), (0x80000000 | 1000) >>> 0);
    const g = compressLz4FrameSync(REAL, { room: 0 }, encoder);
    t.true(g.length < REAL.length / 2, `real redo: ${g.length} of ${REAL.length} bytes`);
  });
}

for (const encoder of LZ4_ENCODERS) {
  test(`${encoder}: assembled after \`room\` free bytes in a reused holder`, (t) => {
    const holder: { buf: Uint8Array | undefined } = { buf: undefined };
    const f1 = compressLz4FrameSync(REAL, { room: 100, holder }, encoder);
    const first = holder.buf;
    t.truthy(first);
    t.is(f1.buffer, first!.buffer);
    t.is(f1.byteOffset - first!.byteOffset, 100);
    const f2 = compressLz4FrameSync(REAL.subarray(0, 1 << 20), { room: 100, holder }, encoder);
    t.is(holder.buf, first, 'a smaller frame reuses the buffer');
    t.is(Buffer.compare(decompressFrameSync(Buffer.from(f2)), Buffer.from(REAL.subarray(0, 1 << 20))), 0);
  });
}
