/**
 * Checking the CRCs of many mtrs in one call of the native addon
 * (native/crc32c_batch.c, built by build-native.mjs when a C compiler and
 * Node's headers are there): the mtr at bytes[starts[i], ends[i]) is valid
 * when the CRC-32C of its bytes up to the terminator (ends[i] - 5) equals the
 * big-endian u32 after the terminator. One call per log batch instead of one
 * CRC per mtr: on the bench log (2.25 M mtrs, ~170 bytes each) the per-mtr
 * CRCs cost the decoding thread ~0.24 s. Without the addon `batchCrc.verify`
 * is undefined and callers check each mtr in JavaScript (the same results).
 */
import { createRequire } from 'node:module';
import { crc32cRange } from './crc32c.js';

/** Index of the first mtr in [from, to) whose CRC does not match (or whose range is outside `bytes`), or `to`. */
export type VerifyMtrCrcs = (bytes: Uint8Array, starts: Uint32Array, ends: Uint32Array, from: number, to: number) => number;

function load(): VerifyMtrCrcs | undefined {
  let verify: VerifyMtrCrcs | undefined;
  try {
    verify = (createRequire(import.meta.url)('@ibarchive/parser/native') as { verify?: VerifyMtrCrcs }).verify;
  } catch {
    return undefined;
  }
  if (typeof verify !== 'function') return undefined;
  // Self-check on a known mtr: a build that disagrees with crc32cRange is not used.
  const m = Uint8Array.from([0x32, 0x00, 0x05, 0x01, 0, 0, 0, 0]);
  const crc = crc32cRange(m, 0, 3);
  m.set([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff], 4);
  const starts = Uint32Array.of(0);
  const ends = Uint32Array.of(8);
  if (verify(m, starts, ends, 0, 1) !== 1) return undefined;
  m[1] ^= 1;
  if (verify(m, starts, ends, 0, 1) !== 0) return undefined;
  return verify;
}

/** The batch check in use; tests set `verify` to undefined to compare with the per-mtr path. */
export const batchCrc: { verify: VerifyMtrCrcs | undefined } = { verify: load() };
