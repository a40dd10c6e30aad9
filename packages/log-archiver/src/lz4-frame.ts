import { compress, compressSync } from 'lz4-napi';

/**
 * LZ4 frames (the LZ4 frame format, v1.6.x) assembled from independently
 * compressed 4 MiB blocks. lz4-napi's own frame encoder runs at ~100 MB/s here
 * (about a third of it is the frame's xxHash-32 content checksum, redundant
 * with the segment's CRC-32C and SHA-256); its block encoder on 4 MiB blocks
 * runs at ~200 MB/s, and independent blocks can be compressed in parallel.
 * Any LZ4 frame decoder reads the result (lz4-napi's decompressFrame, `lz4 -d`).
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

function assemble(input: Uint8Array, blocks: Uint8Array[], target: FrameTarget): Uint8Array {
  let size = LZ4_FRAME_HEADER.length + 4;
  const stored = blocks.map((b, i) => {
    const raw = input.subarray(i * LZ4_BLOCK_SIZE, Math.min(input.length, (i + 1) * LZ4_BLOCK_SIZE));
    const packed = b.subarray(PREFIX);
    return packed.length < raw.length ? { bytes: packed, flag: 0 } : { bytes: raw, flag: 0x80000000 };
  });
  for (const s of stored) size += 4 + s.bytes.length;
  const need = target.room + lz4FrameBound(input.length);
  let whole = target.holder?.buf;
  if (!whole || whole.length < need) {
    whole = new Uint8Array(need);
    if (target.holder) target.holder.buf = whole;
  }
  const out = whole.subarray(target.room, target.room + size);
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

function blocksOf(input: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < input.length; at += LZ4_BLOCK_SIZE) {
    out.push(Buffer.from(input.buffer, input.byteOffset + at, Math.min(LZ4_BLOCK_SIZE, input.length - at)));
  }
  return out;
}

/** Compresses `input` into one LZ4 frame, its blocks in parallel on libuv's thread pool. */
export async function compressLz4Frame(input: Uint8Array, target: FrameTarget = { room: 0 }): Promise<Uint8Array> {
  return assemble(input, await Promise.all(blocksOf(input).map((b) => compress(b))), target);
}

/** compressLz4Frame on the calling thread. */
export function compressLz4FrameSync(input: Uint8Array, target: FrameTarget = { room: 0 }): Uint8Array {
  return assemble(input, blocksOf(input).map((b) => compressSync(b)), target);
}
