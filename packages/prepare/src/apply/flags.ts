import { FIL_PAGE_FILE_FLUSH_LSN_OR_KEY_VERSION, FIL_PAGE_SPACE_OR_CHKSUM, u32 } from './page.js';

/**
 * FSP_SPACE_FLAGS (page 0 offset 54; redo-format.md 5.4; fsp0types.h,
 * fil0fil.h fil_space_t::is_valid_flags()).
 *
 * full_crc32 (bit 4 set): bits 0..3 page size code (3 = 4K .. 7 = 64K),
 * bits 5..7 page_compressed algorithm.
 * Legacy: bit 0 POST_ANTELOPE, bits 1..4 ZIP_SSIZE (ROW_FORMAT=COMPRESSED),
 * bit 5 ATOMIC_BLOBS, bits 6..9 PAGE_SSIZE (0 = 16K), bits 10..15 reserved
 * (bit 10 = old DATA DIRECTORY, ignored), bit 16 PAGE_COMPRESSION.
 * Examples: 0x15 full_crc32 16K; 0x21 crc32 DYNAMIC 16K; 0x29 COMPRESSED
 * KEY_BLOCK_SIZE=8; 0x35 full_crc32 zlib; 0x10021 legacy page_compressed.
 */
export const FSP_FLAGS_FCRC32_MASK_MARKER = 0x10;
const FSP_FLAGS_MASK = 0x1ffff;
const PAGE_ALGORITHM_LAST = 6;

/** Page-compression algorithm names by full_crc32 code. */
export const PAGE_COMPRESSION_ALGORITHMS = ['none', 'zlib', 'lz4', 'lzo', 'lzma', 'bzip2', 'snappy'] as const;

export const isFullCrc32 = (flags: number): boolean => (flags & FSP_FLAGS_FCRC32_MASK_MARKER) !== 0;

/** Legacy ZIP_SSIZE (0 unless ROW_FORMAT=COMPRESSED); always 0 in full_crc32 flags. */
export const zipSsize = (flags: number): number => (isFullCrc32(flags) ? 0 : (flags >>> 1) & 0xf);

/** ROW_FORMAT=COMPRESSED tablespace (redo applies to the compressed image; not supported). */
export const isRowFormatCompressed = (flags: number): boolean => zipSsize(flags) !== 0;

/** page_compressed tablespace (pages on disk are compressed; not supported). */
export function isPageCompressed(flags: number): boolean {
  return isFullCrc32(flags) ? ((flags >>> 5) & 7) !== 0 : (flags & 0x10000) !== 0;
}

/** full_crc32 page-compression algorithm code (0 = none); legacy flags give 0. */
export const pageCompressionAlgorithm = (flags: number): number => (isFullCrc32(flags) ? (flags >>> 5) & 7 : 0);

/** Logical page size (fil_space_t::logical_size()), or 0 for an invalid size code. */
export function logicalPageSize(flags: number): number {
  const code = isFullCrc32(flags) ? flags & 0xf : (flags >>> 6) & 0xf;
  switch (code) {
    case 0:
      return isFullCrc32(flags) ? 0 : 16384;
    case 5:
      return isFullCrc32(flags) ? 16384 : 0;
    case 3:
    case 4:
    case 6:
    case 7:
      return 512 << code;
    default:
      return 0;
  }
}

/** Physical page size: the ROW_FORMAT=COMPRESSED block size, else the logical size. */
export function physicalPageSize(flags: number): number {
  const z = zipSsize(flags);
  return z !== 0 ? 512 << z : logicalPageSize(flags);
}

/**
 * fil_space_t::is_valid_flags(). `isIbd` is false for the system and undo
 * tablespaces; `serverPageSize` is innodb_page_size (buggy MariaDB 10.1
 * page_compressed flags look like a non-16K page size in .ibd files).
 */
export function isValidFlags(flags: number, isIbd: boolean, serverPageSize = 16384): boolean {
  if (isFullCrc32(flags)) return logicalPageSize(flags) !== 0 && flags >>> 5 <= PAGE_ALGORITHM_LAST;
  if (flags === 0) return true;
  if ((flags & ~FSP_FLAGS_MASK) !== 0) return false;
  if ((flags & 0x21) === 0x20) return false;
  if (((flags >>> 10) & 0x3f & ~1) !== 0) return false;
  const ssize = (flags >>> 6) & 0xf;
  if (ssize === 1 || ssize === 2 || ssize === 5 || (ssize & 8) !== 0) return false;
  const z = (flags >>> 1) & 0xf;
  if (z !== 0) {
    if (z > (ssize !== 0 ? ssize : 5)) return false;
    if ((~flags & 0x21) !== 0) return false;
  }
  return ssize === 0 || !isIbd || serverPageSize !== 16384;
}

/** One-line description: `0x15 (full_crc32, 16K)`, `0x29 (crc32, 16K, COMPRESSED 8K)`. */
export function describeFlags(flags: number): string {
  const parts: string[] = [isFullCrc32(flags) ? 'full_crc32' : 'crc32'];
  const ls = logicalPageSize(flags);
  parts.push(ls ? `${ls >>> 10}K` : 'invalid page size');
  if (isRowFormatCompressed(flags)) parts.push(`COMPRESSED ${physicalPageSize(flags) >>> 10}K`);
  if (isPageCompressed(flags)) {
    parts.push(isFullCrc32(flags) ? `page_compressed ${PAGE_COMPRESSION_ALGORITHMS[pageCompressionAlgorithm(flags)] ?? '?'}` : 'page_compressed');
  }
  return `0x${flags.toString(16)} (${parts.join(', ')})`;
}

/** CRYPT_MAGIC "s\x0e\x0cREt" that starts the crypt data on page 0. */
const CRYPT_MAGIC = [0x73, 0x0e, 0x0c, 0x52, 0x45, 0x74];

/** Offset of the crypt data on page 0: 38 + 150 + XDES_SIZE * (ps / extent pages); 10428 for 16K. */
export function cryptDataOffset(ps: number): number {
  const extentPages = ps <= 4096 ? 256 : ps === 8192 ? 128 : 64;
  const xdesSize = 24 + ((2 * extentPages + 7) >>> 3);
  return 38 + 150 + (xdesSize * ps) / extentPages;
}

/** Crypt data of a tablespace (fil_space_read_crypt_data()). */
export interface CryptData {
  /** 0 = unencrypted scheme, 1 = encrypted (CRYPT_SCHEME_1). */
  scheme: number;
  minKeyVersion: number;
  keyId: number;
  /** 0 = DEFAULT (follows innodb_encrypt_tables), 1 = ON, 2 = OFF. */
  mode: number;
}

/** The crypt data on page 0, or undefined when the magic is absent. */
export function readCryptData(page0: Uint8Array, ps = page0.length): CryptData | undefined {
  const o = cryptDataOffset(ps);
  if (o + 8 > page0.length) return undefined;
  for (let i = 0; i < CRYPT_MAGIC.length; i++) if (page0[o + i] !== CRYPT_MAGIC[i]) return undefined;
  const ivLen = page0[o + 7]!;
  const k = o + 8 + ivLen;
  if (k + 9 > page0.length) return undefined;
  return { scheme: page0[o + 6]!, minKeyVersion: u32(page0, k), keyId: u32(page0, k + 4), mode: page0[k + 8]! };
}

/**
 * Whether the crypt data means pages may be encrypted (scheme 1 and not
 * ENCRYPTION=NO); with mode DEFAULT it depends on innodb_encrypt_tables, so
 * it is treated as encrypted.
 */
export const mayBeEncrypted = (c: CryptData | undefined): boolean => c !== undefined && c.scheme !== 0 && c.mode !== 2;

/** Key version of a page (buf_page_get_key_version()); non-zero means the page is encrypted. */
export function pageKeyVersion(page: Uint8Array, flags: number): number {
  return u32(page, isFullCrc32(flags) ? FIL_PAGE_SPACE_OR_CHKSUM : FIL_PAGE_FILE_FLUSH_LSN_OR_KEY_VERSION);
}
