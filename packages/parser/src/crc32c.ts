/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final XOR
 * 0xFFFFFFFF): the checksum of every redo mtr, of the log header and
 * checkpoint blocks, and of full_crc32 pages. Check value: crc32c("123456789")
 * = 0xe3069283.
 *
 * Table-driven, slice-by-16 on an Int32Array (16 tables of 256 entries; table
 * k advances the CRC by k more zero bytes), 16 bytes read as four words.
 *
 * Ranges of NATIVE_MIN bytes or more (16 KiB pages, archive segment payloads)
 * go to the SSE4.2 implementation of the optional `@node-rs/crc32` package when
 * it loads (~2.2 GB/s here); below that its per-call cost (~0.4 us) loses to
 * this table (mtrs average ~107 bytes). Both give identical results; the tests
 * check them against each other.
 */
import { createRequire } from 'node:module';

type NativeCrc = (input: Uint8Array, initial?: number) => number;
const NATIVE_MIN = 2048;
let native: NativeCrc | undefined;
try {
  const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: NativeCrc };
  if (typeof mod.crc32c === 'function' && mod.crc32c(new TextEncoder().encode('123456789')) === 0xe3069283) native = mod.crc32c;
} catch {
  native = undefined;
}

/** True when large ranges use the native CRC-32C (for benchmarks and tests). */
export const nativeCrc32cAvailable: boolean = native !== undefined;

const T = new Int32Array(256 * 16);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  T[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = T[n]!;
  for (let k = 1; k < 16; k++) {
    c = T[c & 0xff]! ^ (c >>> 8);
    T[k * 256 + n] = c;
  }
}

/**
 * CRC-32C of bytes[start, end), continuing from `seed` (a previous result) if
 * given. Returns an unsigned 32-bit number.
 */
export function crc32cRange(b: Uint8Array, start: number, end: number, seed = 0): number {
  if (native !== undefined && end - start >= NATIVE_MIN) return native(b.subarray(start, end), seed) >>> 0;
  return crc32cTable(b, start, end, seed);
}

/** DataView of the last array crc32cTable read (the same buffer serves many mtrs in a row). */
let viewOf: Uint8Array | undefined;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

/**
 * The table-driven CRC-32C alone (what crc32cRange uses below NATIVE_MIN
 * bytes). Words are read with DataView.getInt32 (little-endian, any
 * alignment): on redo mtrs here twice as fast as assembling each word from
 * four byte loads.
 */
export function crc32cTable(b: Uint8Array, start: number, end: number, seed = 0): number {
  if (b !== viewOf) {
    viewOf = b;
    view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  const dv = view;
  let c = ~seed;
  let i = start;
  const e16 = end - 16;
  while (i <= e16) {
    c ^= dv.getInt32(i, true);
    const h = dv.getInt32(i + 4, true);
    const g = dv.getInt32(i + 8, true);
    const f = dv.getInt32(i + 12, true);
    c =
      T[3840 + (c & 0xff)]! ^ T[3584 + ((c >>> 8) & 0xff)]! ^ T[3328 + ((c >>> 16) & 0xff)]! ^ T[3072 + (c >>> 24)]! ^
      T[2816 + (h & 0xff)]! ^ T[2560 + ((h >>> 8) & 0xff)]! ^ T[2304 + ((h >>> 16) & 0xff)]! ^ T[2048 + (h >>> 24)]! ^
      T[1792 + (g & 0xff)]! ^ T[1536 + ((g >>> 8) & 0xff)]! ^ T[1280 + ((g >>> 16) & 0xff)]! ^ T[1024 + (g >>> 24)]! ^
      T[768 + (f & 0xff)]! ^ T[512 + ((f >>> 8) & 0xff)]! ^ T[256 + ((f >>> 16) & 0xff)]! ^ T[f >>> 24]!;
    i += 16;
  }
  while (i < end) c = T[(c ^ b[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * CRC-32C of `data`, continuing from `seed` (the previous result) if given.
 * Returns an unsigned 32-bit number.
 */
export function crc32c(data: Uint8Array, seed = 0): number {
  return crc32cRange(data, 0, data.length, seed);
}
