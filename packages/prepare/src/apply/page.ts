/**
 * FIL page header and trailer (redo-format.md 5.1), big-endian accessors, and
 * the page types the appliers care about. Offsets are the upstream names from
 * fil0fil.h.
 *
 * ```
 * 0  checksum (legacy) / key version (full_crc32)   4  page number
 * 8  prev page   12 next page   16 FIL_PAGE_LSN (8)   24 page type (2)
 * 26 flush LSN / key version (8)   34 space id   38 page body
 * ps-8: legacy checksum copy + LSN low 32 | full_crc32: LSN low 32 + CRC-32C
 * ```
 */
export const FIL_PAGE_SPACE_OR_CHKSUM = 0;
export const FIL_PAGE_OFFSET = 4;
export const FIL_PAGE_PREV = 8;
export const FIL_PAGE_NEXT = 12;
export const FIL_PAGE_LSN = 16;
export const FIL_PAGE_TYPE = 24;
export const FIL_PAGE_FILE_FLUSH_LSN_OR_KEY_VERSION = 26;
export const FIL_PAGE_SPACE_ID = 34;
export const FIL_PAGE_DATA = 38;
/** Trailer size: the last 8 bytes of every page. */
export const FIL_PAGE_DATA_END = 8;

/** FIL_PAGE_TYPE values (fil0fil.h). */
export const FIL_PAGE_TYPE_ALLOCATED = 0;
export const FIL_PAGE_UNDO_LOG = 2;
export const FIL_PAGE_INODE = 3;
export const FIL_PAGE_IBUF_FREE_LIST = 4;
export const FIL_PAGE_IBUF_BITMAP = 5;
export const FIL_PAGE_TYPE_SYS = 6;
export const FIL_PAGE_TYPE_TRX_SYS = 7;
export const FIL_PAGE_TYPE_FSP_HDR = 8;
export const FIL_PAGE_TYPE_XDES = 9;
export const FIL_PAGE_TYPE_BLOB = 10;
export const FIL_PAGE_TYPE_ZBLOB = 11;
export const FIL_PAGE_TYPE_ZBLOB2 = 12;
export const FIL_PAGE_TYPE_UNKNOWN = 13;
export const FIL_PAGE_TYPE_INSTANT = 18;
export const FIL_PAGE_RTREE = 17854;
export const FIL_PAGE_INDEX = 17855;

/** Big-endian u16 at `o`. */
export function u16(p: Uint8Array, o: number): number {
  return (p[o]! << 8) | p[o + 1]!;
}

/** Big-endian u32 at `o` (unsigned). */
export function u32(p: Uint8Array, o: number): number {
  return ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;
}

/** Stores the low 16 bits of `v` big-endian at `o` (as mach_write_to_2 of a truncated value). */
export function setU16(p: Uint8Array, o: number, v: number): void {
  p[o] = (v >>> 8) & 0xff;
  p[o + 1] = v & 0xff;
}

/** Stores `v` (0..2^32-1) big-endian at `o`. */
export function setU32(p: Uint8Array, o: number, v: number): void {
  p[o] = (v >>> 24) & 0xff;
  p[o + 1] = (v >>> 16) & 0xff;
  p[o + 2] = (v >>> 8) & 0xff;
  p[o + 3] = v & 0xff;
}

/** FIL_PAGE_LSN (bytes 16..23): the end LSN of the last mtr applied to the page. */
export function pageLsn(page: Uint8Array): bigint {
  return (BigInt(u32(page, FIL_PAGE_LSN)) << 32n) | BigInt(u32(page, FIL_PAGE_LSN + 4));
}

/** Stores FIL_PAGE_LSN (bytes 16..23). */
export function setPageLsn(page: Uint8Array, lsn: bigint): void {
  setU32(page, FIL_PAGE_LSN, Number((lsn >> 32n) & 0xffffffffn));
  setU32(page, FIL_PAGE_LSN + 4, Number(lsn & 0xffffffffn));
}

/** Page number stored in the header (bytes 4..7). */
export const pageNoOf = (page: Uint8Array): number => u32(page, FIL_PAGE_OFFSET);
/** Space id stored in the header (bytes 34..37). */
export const spaceIdOf = (page: Uint8Array): number => u32(page, FIL_PAGE_SPACE_ID);
/** FIL_PAGE_TYPE (bytes 24..25). */
export const pageTypeOf = (page: Uint8Array): number => u16(page, FIL_PAGE_TYPE);
