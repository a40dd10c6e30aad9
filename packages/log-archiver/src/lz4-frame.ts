import { createRequire } from 'node:module';
import { compress, compressSync } from 'lz4-napi';

/**
 * LZ4 frames (the LZ4 frame format, v1.6.x) assembled from independently
 * compressed 4 MiB blocks. Two block encoders: the reference C library
 * (liblz4 1.9, `LZ4_compress_default`, through the optional `lz4` package, a
 * native addon built at install) at ~500-650 MB/s on one core on archived redo
 * here, compressing straight into the frame; and lz4-napi (lz4_flex, Rust) at
 * ~200-330 MB/s, whose blocks are compressed in parallel on libuv's pool and
 * then copied into the frame. liblz4 is used when it loads. lz4-napi's own
 * frame encoder runs at ~100 MB/s (a third of it the frame's xxHash-32 content
 * checksum, redundant with the segment's CRC-32C and SHA-256). Any LZ4 frame
 * decoder reads the result (lz4-napi's decompressFrame, `lz4 -d`).
 *
 *   04 22 4d 18   magic 0x184D2204, little-endian
 *   60            FLG: version 01, blocks independent, no block/content checksum, no size, no dictionary
 *   70            BD: maximum block size 4 MiB (code 7)
 *   HC            (xxHash-32 of FLG BD, seed 0) >> 8 & 0xff
 *   blocks        u32 LE size (bit 31 set: stored uncompressed), then the block's bytes
 *   00 00 00 00   end mark
 */

/** Uncompressed bytes per block: the frame's maximum block size (BD code 7). */
export const LZ4_BLOCK_SIZE = 4 << 20;
const FLG = 0x60;
const BD = 0x70;

/** Block encoders: `liblz4` (the C library) or `lz4-napi`. */
export type Lz4Encoder = 'liblz4' | 'lz4-napi';

/** liblz4's LZ4_compress_default(src, dst + start, src.length, end - start): the compressed size, 0 if it does not fit. */
type EncodeBlock = (input: Buffer, output: Buffer, start: number, end: number) => number;

function loadLiblz4(): EncodeBlock | undefined {
  try {
    const mod = createRequire(import.meta.url)('lz4') as { encodeBlock?: EncodeBlock };
    return typeof mod.encodeBlock === 'function' ? mod.encodeBlock : undefined;
  } catch {
    return undefined;
  }
}

const liblz4 = loadLiblz4();

/** The encoder used by default: liblz4 when its addon loads, else lz4-napi. */
export const LZ4_ENCODER: Lz4Encoder = liblz4 ? 'liblz4' : 'lz4-napi';

/** The encoders that load here (tests compare them). */
export const LZ4_ENCODERS: Lz4Encoder[] = liblz4 ? ['liblz4', 'lz4-napi'] : ['lz4-napi'];

/** xxHash-32 (seed 0) of a few bytes (inputs under 16 bytes only). */
function xxh32Short(bytes: number[]): number {
  const P1 = 2654435761;
  const P2 = 2246822519;
  const P3 = 3266489917;
  const P5 = 374761393;
  let h = (P5 + bytes.length) >>> 0;
  for (const b of bytes) {
    h = (h + Math.imul(b, P5)) >>> 0;
    h = Math.imul((h << 11) | (h >>> 21), P1) >>> 0;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, P3) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The 7 bytes before the first block. */
export const LZ4_FRAME_HEADER = Uint8Array.of(0x04, 0x22, 0x4d, 0x18, FLG, BD, (xxh32Short([FLG, BD]) >>> 8) & 0xff);

/** lz4-napi's block output is the block prefixed with its uncompressed size (u32 LE): the block is after it. */
const PREFIX = 4;

/** Where a frame is assembled: `room` free bytes before it, in `holder.buf` when that is large enough (reused across calls). */
export interface FrameTarget {
  room: number;
  holder?: { buf: Uint8Array | undefined } | undefined;
}

/** Largest frame for `n` input bytes (every block stored uncompressed). */
export function lz4FrameBound(n: number): number {
  return LZ4_FRAME_HEADER.length + 4 + n + 4 * Math.ceil(n / LZ4_BLOCK_SIZE);
}

/** The frame's output array (`room` free bytes before it), from `target.holder` when large enough. */
function frameBuffer(input: Uint8Array, target: FrameTarget): Uint8Array {
  const need = target.room + lz4FrameBound(input.length);
  let whole = target.holder?.buf;
  if (!whole || whole.length < need) {
    whole = new Uint8Array(need);
    if (target.holder) target.holder.buf = whole;
  }
  return whole;
}

function assemble(input: Uint8Array, blocks: Uint8Array[], target: FrameTarget): Uint8Array {
  let size = LZ4_FRAME_HEADER.length + 4;
  const stored = blocks.map((b, i) => {
    const raw = input.subarray(i * LZ4_BLOCK_SIZE, Math.min(input.length, (i + 1) * LZ4_BLOCK_SIZE));
    const packed = b.subarray(PREFIX);
    return packed.length < raw.length ? { bytes: packed, flag: 0 } : { bytes: raw, flag: 0x80000000 };
  });
  for (const s of stored) size += 4 + s.bytes.length;
  const out = frameBuffer(input, target).subarray(target.room, target.room + size);
  const v = new DataView(out.buffer, out.byteOffset, out.length);
  out.set(LZ4_FRAME_HEADER, 0);
  let at = LZ4_FRAME_HEADER.length;
  for (const s of stored) {
    v.setUint32(at, (s.bytes.length | s.flag) >>> 0, true);
    out.set(s.bytes, at + 4);
    at += 4 + s.bytes.length;
  }
  v.setUint32(at, 0, true);
  return out;
}

/** The frame with liblz4: each block compressed straight into its place, or stored when it does not shrink. */
function frameWithLiblz4(input: Uint8Array, target: FrameTarget, encode: EncodeBlock): Uint8Array {
  const whole = frameBuffer(input, target);
  const dst = Buffer.from(whole.buffer, whole.byteOffset, whole.length);
  const v = new DataView(whole.buffer, whole.byteOffset, whole.length);
  let at = target.room;
  whole.set(LZ4_FRAME_HEADER, at);
  at += LZ4_FRAME_HEADER.length;
  for (const raw of blocksOf(input)) {
    // Room for one byte less than the block: 0 back means it does not shrink.
    const n = raw.length > 1 ? encode(raw, dst, at + 4, at + 4 + raw.length - 1) : 0;
    if (n > 0) {
      v.setUint32(at, n, true);
      at += 4 + n;
    } else {
      v.setUint32(at, (raw.length | 0x80000000) >>> 0, true);
      whole.set(raw, at + 4);
      at += 4 + raw.length;
    }
  }
  v.setUint32(at, 0, true);
  return whole.subarray(target.room, at + 4);
}

function blocksOf(input: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < input.length; at += LZ4_BLOCK_SIZE) {
    out.push(Buffer.from(input.buffer, input.byteOffset + at, Math.min(LZ4_BLOCK_SIZE, input.length - at)));
  }
  return out;
}

/**
 * Compresses `input` into one LZ4 frame: with liblz4 on the calling thread,
 * with lz4-napi its blocks in parallel on libuv's thread pool.
 */
export async function compressLz4Frame(input: Uint8Array, target: FrameTarget = { room: 0 }, encoder: Lz4Encoder = LZ4_ENCODER): Promise<Uint8Array> {
  if (encoder === 'liblz4') return frameWithLiblz4(input, target, requireLiblz4());
  return assemble(input, await Promise.all(blocksOf(input).map((b) => compress(b))), target);
}

/** compressLz4Frame on the calling thread. */
export function compressLz4FrameSync(input: Uint8Array, target: FrameTarget = { room: 0 }, encoder: Lz4Encoder = LZ4_ENCODER): Uint8Array {
  if (encoder === 'liblz4') return frameWithLiblz4(input, target, requireLiblz4());
  return assemble(input, blocksOf(input).map((b) => compressSync(b)), target);
}

function requireLiblz4(): EncodeBlock {
  if (!liblz4) throw new Error('the liblz4 encoder (optional package `lz4`) is not installed');
  return liblz4;
}
