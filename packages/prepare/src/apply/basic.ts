import { crc32c } from '@ibarchive/parser';
import type { Fail } from './directory.js';
import { FIL_PAGE_DATA_END, FIL_PAGE_LSN, FIL_PAGE_OFFSET, FIL_PAGE_PREV, FIL_PAGE_SPACE_ID, FIL_PAGE_TYPE, setU32, u32 } from './page.js';

/**
 * Physical page records (redo-format.md 4.4, 4.5; log0recv.cc
 * log_phys_t::apply()). Offsets arrive absolute (the record reader applied the
 * same-page cursor); the checks here repeat the bounds the server enforces so
 * that a bad record can never write outside the page.
 */

/** Copies src[start, end) to p at `at` (a loop for short runs, no view allocation). */
export function copyIn(p: Uint8Array, at: number, src: Uint8Array, start: number, end: number): void {
  const n = end - start;
  if (n > 64) p.set(src.subarray(start, end), at);
  else for (let i = 0; i < n; i++) p[at + i] = src[start + i]!;
}

/**
 * p.copyWithin(to, from, from + n) (memmove): a loop for short runs, where
 * the builtin's call costs more than the copy.
 */
export function moveWithin(p: Uint8Array, to: number, from: number, n: number): void {
  if (n > 32) p.copyWithin(to, from, from + n);
  else if (to <= from) for (let i = 0; i < n; i++) p[to + i] = p[from + i]!;
  else for (let i = n - 1; i >= 0; i--) p[to + i] = p[from + i]!;
}

/** INIT_PAGE: all zero, then page number, FIL_NULL prev/next, space id. */
export function initPage(p: Uint8Array, ps: number, spaceId: number, pageNo: number): void {
  p.fill(0, 0, ps);
  setU32(p, FIL_PAGE_OFFSET, pageNo);
  p.fill(0xff, FIL_PAGE_PREV, FIL_PAGE_PREV + 8);
  setU32(p, FIL_PAGE_SPACE_ID, spaceId);
}

function checkTarget(ps: number, offset: number, length: number, fail: Fail): void {
  if (offset < 8 || offset >= ps) fail(`target offset ${offset} outside [8, ${ps})`);
  if (offset + length > ps) fail(`${length} bytes at offset ${offset} pass the page end ${ps}`);
}

/** WRITE: data[start, end) to `offset`. */
export function write(p: Uint8Array, ps: number, offset: number, data: Uint8Array, start: number, end: number, fail: Fail): void {
  if (end <= start) fail('WRITE without data');
  checkTarget(ps, offset, end - start, fail);
  copyIn(p, offset, data, start, end);
}

/**
 * MEMSET: `length` bytes at `offset` filled by repeating the pattern
 * data[start, end). The server copies whole patterns only, so a length that
 * is not a multiple of a multi-byte pattern is refused rather than guessed.
 */
export function memset(
  p: Uint8Array, ps: number, offset: number, length: number, data: Uint8Array, start: number, end: number, fail: Fail,
): void {
  const n = end - start;
  if (n <= 0) fail('MEMSET without fill pattern');
  if (n > length) fail(`fill pattern of ${n} bytes longer than length ${length}`);
  checkTarget(ps, offset, length, fail);
  if (n === 1) {
    p.fill(data[start]!, offset, offset + length);
    return;
  }
  if (length % n !== 0) fail(`length ${length} is not a multiple of the ${n}-byte fill pattern`);
  for (let s = 0; s < length; s += n) for (let i = 0; i < n; i++) p[offset + s + i] = data[start + i]!;
}

/** MEMMOVE: `length` bytes from `source` to `offset`, overlap-safe. */
export function memmove(p: Uint8Array, ps: number, offset: number, length: number, source: number, fail: Fail): void {
  checkTarget(ps, offset, length, fail);
  if (source < 8 || source + length > ps) fail(`source [${source}, ${source + length}) outside [8, ${ps})`);
  moveWithin(p, offset, source, length);
}

/**
 * OPTION with OPT_PAGE_CHECKSUM (payload `00` + 4-byte CRC, written by debug
 * builds): CRC-32C over bytes [4,16) ‖ [24,26) ‖ [34, ps-8) of the page as
 * modified so far must equal the stored value. Other OPTION records are ignored.
 */
export function checkOptionChecksum(p: Uint8Array, ps: number, data: Uint8Array, start: number, fail: Fail): void {
  let c = crc32c(p.subarray(FIL_PAGE_OFFSET, FIL_PAGE_LSN));
  c = crc32c(p.subarray(FIL_PAGE_TYPE, FIL_PAGE_TYPE + 2), c);
  c = crc32c(p.subarray(FIL_PAGE_SPACE_ID, ps - FIL_PAGE_DATA_END), c);
  const stored = u32(data, start);
  if (c !== stored) fail(`OPT_PAGE_CHECKSUM mismatch: log has ${stored.toString(16).padStart(8, '0')}, page gives ${c.toString(16).padStart(8, '0')}`);
}
