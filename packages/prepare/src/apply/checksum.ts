import { crc32c } from '@ibarchive/parser';
import { isFullCrc32, isPageCompressed, zipSsize } from './flags.js';
import { FIL_PAGE_DATA, FIL_PAGE_DATA_END, FIL_PAGE_FILE_FLUSH_LSN_OR_KEY_VERSION, FIL_PAGE_LSN, FIL_PAGE_OFFSET, FIL_PAGE_TYPE, setU32, u16, u32 } from './page.js';

/**
 * Page checksums (redo-format.md 5.2; buf0flu.cc, buf0buf.cc
 * buf_page_is_corrupted(), buf0checksum.cc).
 *
 * full_crc32: `u32 at ps-4 = CRC-32C(page[0, ps-4))`, ps-8..ps-5 = LSN low 32.
 * crc32 (legacy): `CRC-32C(page[4,26)) ^ CRC-32C(page[38, ps-8))` at 0 and
 * at ps-8; ps-4..ps-1 = LSN low 32. When reading legacy pages the server also
 * accepts "none" (0xDEADBEEF), the old "innodb" fold checksums, and an empty
 * page.
 */
export const BUF_NO_CHECKSUM_MAGIC = 0xdeadbeef;

/** CRC-32C of page[0, size-4): the full_crc32 checksum. */
export function fullCrc32Checksum(page: Uint8Array, size = page.length): number {
  return crc32c(page.subarray(0, size - 4));
}

/** buf_calc_page_crc32(): the legacy innodb_checksum_algorithm=crc32 checksum. */
export function legacyCrc32Checksum(page: Uint8Array): number {
  const ps = page.length;
  return (crc32c(page.subarray(FIL_PAGE_OFFSET, FIL_PAGE_FILE_FLUSH_LSN_OR_KEY_VERSION)) ^
    crc32c(page.subarray(FIL_PAGE_DATA, ps - FIL_PAGE_DATA_END))) >>> 0;
}

/** ut_fold_binary() truncated to 32 bits (exact: the 64-bit fold only uses xor, shift left and add). */
function fold(page: Uint8Array, start: number, end: number): number {
  let f = 0;
  for (let i = start; i < end; i++) {
    const b = page[i]!;
    f = (((((f ^ b ^ 1653893711) << 8) + f) ^ 1463735687) + b) >>> 0;
  }
  return f;
}

/** buf_calc_page_new_checksum(): the "innodb" checksum stored at offset 0. */
export function innodbNewChecksum(page: Uint8Array): number {
  const ps = page.length;
  return (fold(page, FIL_PAGE_OFFSET, FIL_PAGE_FILE_FLUSH_LSN_OR_KEY_VERSION) +
    fold(page, FIL_PAGE_DATA, ps - FIL_PAGE_DATA_END)) >>> 0;
}

/** buf_calc_page_old_checksum(): the "innodb" checksum stored at ps-8. */
export function innodbOldChecksum(page: Uint8Array): number {
  return fold(page, 0, FIL_PAGE_FILE_FLUSH_LSN_OR_KEY_VERSION);
}

/** Stores the full_crc32 checksum at ps-4 (the LSN copy at ps-8 must already be in place). */
export function writeFullCrc32Checksum(page: Uint8Array): void {
  setU32(page, page.length - 4, fullCrc32Checksum(page));
}

/** Stores the legacy crc32 checksum at 0 and ps-8. */
export function writeLegacyCrc32Checksum(page: Uint8Array): void {
  const c = legacyCrc32Checksum(page);
  setU32(page, 0, c);
  setU32(page, page.length - FIL_PAGE_DATA_END, c);
}

function isZero(page: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (page[i] !== 0) return false;
  return true;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/**
 * Why a page read from a data file fails the server's checksum validation
 * (buf_page_is_corrupted() with a non-strict innodb_checksum_algorithm), or
 * undefined when it passes. `page.length` must be the physical page size.
 * ROW_FORMAT=COMPRESSED pages are not handled (reported as such).
 */
export function pageChecksumProblem(page: Uint8Array, fsFlags: number): string | undefined {
  const ps = page.length;
  if (isFullCrc32(fsFlags)) {
    let size = ps;
    let compressed = false;
    const t = u16(page, FIL_PAGE_TYPE);
    if (t & 0x8000) {
      const s = (t & 0x7fff) << 8;
      if (s >= ps) return `page_compressed size ${s} not below the page size`;
      size = s;
      compressed = true;
    }
    const stored = u32(page, size - 4);
    if (stored === 0 && size === ps && isZero(page, 0, ps)) return undefined;
    const crc = fullCrc32Checksum(page, size);
    if (stored !== crc) return `full_crc32 checksum ${hex8(stored)}, computed ${hex8(crc)}`;
    if (!compressed && u32(page, 0) === 0 && u32(page, FIL_PAGE_LSN + 4) !== u32(page, size - 8)) {
      return `LSN low 32 bits ${hex8(u32(page, FIL_PAGE_LSN + 4))} differ from the trailer copy ${hex8(u32(page, size - 8))}`;
    }
    return undefined;
  }
  if (zipSsize(fsFlags) !== 0) return 'ROW_FORMAT=COMPRESSED page checksums are not supported';
  const t = u16(page, FIL_PAGE_TYPE);
  if ((t === 34354 || t === 37401) && isPageCompressed(fsFlags)) return undefined;
  if (u32(page, FIL_PAGE_LSN + 4) !== u32(page, ps - 4)) {
    return `LSN low 32 bits ${hex8(u32(page, FIL_PAGE_LSN + 4))} differ from the trailer copy ${hex8(u32(page, ps - 4))}`;
  }
  const f1 = u32(page, 0);
  const f2 = u32(page, ps - FIL_PAGE_DATA_END);
  if (f1 === 0 && f2 === 0 && isZero(page, 0, 26) && isZero(page, 34, ps)) return undefined;
  if (f1 === BUF_NO_CHECKSUM_MAGIC && f2 === BUF_NO_CHECKSUM_MAGIC) return undefined;
  const crc = legacyCrc32Checksum(page);
  if (f2 !== u32(page, FIL_PAGE_LSN) && f2 !== BUF_NO_CHECKSUM_MAGIC) {
    if ((f1 !== crc || f2 !== crc) && f2 !== innodbOldChecksum(page)) {
      return `checksums ${hex8(f1)}/${hex8(f2)}, crc32 computed ${hex8(crc)}`;
    }
  }
  if (f1 === 0 || f1 === BUF_NO_CHECKSUM_MAGIC) return undefined;
  if ((f1 !== crc || f2 !== crc) && f1 !== innodbNewChecksum(page)) {
    return `checksums ${hex8(f1)}/${hex8(f2)}, crc32 computed ${hex8(crc)}`;
  }
  return undefined;
}
