/**
 * Tablespace header facts read from page 0 (redo-format.md 5.3, 5.4):
 * FSP_SPACE_ID at 38, FSP_SIZE at 46, FSP_SPACE_FLAGS at 54, and the
 * features the flags (and the crypt data) reveal that prepare refuses.
 */
import { isPageCompressed, isRowFormatCompressed, isValidFlags, logicalPageSize } from './apply/flags.js';
export const FIL_PAGE_SPACE_ID = 34;
export const FIL_PAGE_LSN = 16;
export const FSP_SPACE_ID = 38;
export const FSP_SIZE = 46;
export const FSP_SPACE_FLAGS = 54;


const CRYPT_MAGIC = [0x73, 0x0e, 0x0c, 0x52, 0x45, 0x74];

/** Page size of a tablespace from its flags, or 0 when the flags are invalid. */
export function pageSizeOfFlags(flags: number): number {
  return logicalPageSize(flags);
}

/** Why a tablespace with these flags cannot be prepared, or undefined. */
export function unsupportedFlags(flags: number): string | undefined {
  if (isRowFormatCompressed(flags)) return 'ROW_FORMAT=COMPRESSED';
  if (isPageCompressed(flags)) return 'page_compressed';
  return isValidFlags(flags, false) && logicalPageSize(flags) ? undefined : `invalid flags 0x${flags.toString(16)}`;
}

/** Offset of the crypt data on page 0 (38 + 150 + XDES_SIZE * ps / extent pages). */
export function cryptDataOffset(ps: number): number {
  const extentPages = ps <= 4096 ? 256 : ps === 8192 ? 128 : 64;
  const xdesSize = 24 + Math.ceil((2 * extentPages) / 8);
  return 38 + 150 + xdesSize * (ps / extentPages);
}

/**
 * True when page 0 carries crypt data that encrypts the tablespace: magic,
 * then scheme (1 = encrypted), iv length, iv, min key version, key id, mode
 * (2 = ENCRYPTION=NO).
 */
export function isEncrypted(page0: Uint8Array, ps: number): boolean {
  const o = cryptDataOffset(ps);
  if (o + 33 > page0.length) return false;
  for (let i = 0; i < CRYPT_MAGIC.length; i++) if (page0[o + i] !== CRYPT_MAGIC[i]) return false;
  const scheme = page0[o + 6]!;
  const ivLen = page0[o + 7]!;
  const mode = page0[o + 8 + ivLen + 8];
  return scheme === 1 && mode !== 2;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** The FSP header fields of a page 0. */
export function readFspHeader(page0: Uint8Array): { spaceId: number; size: number; flags: number } {
  return { spaceId: u32(page0, FSP_SPACE_ID), size: u32(page0, FSP_SIZE), flags: u32(page0, FSP_SPACE_FLAGS) };
}

/** FIL_PAGE_LSN of a page as a number (exact below 2^53). */
export function pageLsnNumber(page: Uint8Array, offset = 0): number {
  return u32(page, offset + FIL_PAGE_LSN) * 0x1_0000_0000 + u32(page, offset + FIL_PAGE_LSN + 4);
}

/** True when every byte is zero (a page allocated but never written). */
export function isAllZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}
