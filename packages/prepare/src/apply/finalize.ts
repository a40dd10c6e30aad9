import { writeFullCrc32Checksum, writeLegacyCrc32Checksum } from './checksum.js';
import { isFullCrc32 } from './flags.js';
import {
  FIL_PAGE_DATA_END,
  FIL_PAGE_FILE_FLUSH_LSN_OR_KEY_VERSION,
  FIL_PAGE_IBUF_BITMAP,
  FIL_PAGE_INDEX,
  FIL_PAGE_IBUF_FREE_LIST,
  FIL_PAGE_INODE,
  FIL_PAGE_LSN,
  FIL_PAGE_RTREE,
  FIL_PAGE_SPACE_OR_CHKSUM,
  FIL_PAGE_TYPE,
  FIL_PAGE_TYPE_ALLOCATED,
  FIL_PAGE_TYPE_BLOB,
  FIL_PAGE_TYPE_FSP_HDR,
  FIL_PAGE_TYPE_INSTANT,
  FIL_PAGE_TYPE_SYS,
  FIL_PAGE_TYPE_TRX_SYS,
  FIL_PAGE_TYPE_UNKNOWN,
  FIL_PAGE_TYPE_XDES,
  FIL_PAGE_TYPE_ZBLOB,
  FIL_PAGE_TYPE_ZBLOB2,
  FIL_PAGE_UNDO_LOG,
  pageNoOf,
  setPageLsn,
  setU16,
  spaceIdOf,
  u16,
} from './page.js';

/** The TRX_SYS page: space 0, page 5 (never encrypted, keeps its header bytes). */
const TRX_SYS_PAGE_NO = 5;

/**
 * Page types that legacy (non-full_crc32) 16K pages may keep when flushed;
 * others are reset (buf_flush_init_for_writing(), for files from before MySQL 5.5).
 */
const KEEP_TYPE = new Set([
  FIL_PAGE_INDEX, FIL_PAGE_TYPE_INSTANT, FIL_PAGE_RTREE, FIL_PAGE_UNDO_LOG, FIL_PAGE_INODE, FIL_PAGE_IBUF_FREE_LIST,
  FIL_PAGE_TYPE_ALLOCATED, FIL_PAGE_TYPE_SYS, FIL_PAGE_TYPE_TRX_SYS, FIL_PAGE_TYPE_BLOB, FIL_PAGE_TYPE_ZBLOB,
  FIL_PAGE_TYPE_ZBLOB2,
]);

function legacyResetType(page: Uint8Array, spaceId: number, pageNo: number): void {
  const type = u16(page, FIL_PAGE_TYPE);
  let reset = type;
  const m = pageNo % 16384;
  if (m === 0) reset = pageNo === 0 ? FIL_PAGE_TYPE_FSP_HDR : FIL_PAGE_TYPE_XDES;
  else if (m === 1) reset = FIL_PAGE_IBUF_BITMAP;
  else if (m === TRX_SYS_PAGE_NO && spaceId === 0 && pageNo === TRX_SYS_PAGE_NO) reset = FIL_PAGE_TYPE_TRX_SYS;
  else if (!KEEP_TYPE.has(type)) reset = FIL_PAGE_TYPE_UNKNOWN;
  if (reset !== type) setU16(page, FIL_PAGE_TYPE, reset);
}

/**
 * Makes a recovered page ready to be written, as recv_recover_page() and the
 * page flush (buf_page_t::flush(), buf_page_encrypt() for an unencrypted,
 * uncompressed tablespace, buf_flush_init_for_writing()) do:
 * FIL_PAGE_LSN := `pageLsn`; then with full_crc32 flags: key version (0..3)
 * := 0 except on page 0 and the TRX_SYS page, ps-8..ps-5 := LSN low 32 bits,
 * ps-4 := CRC-32C(0..ps-4); with legacy flags: ps-8..ps-1 := LSN, invalid page
 * types of 16K pages reset, crc32 checksum at 0 and ps-8, and bytes 26..33
 * := 0 except on page 0 and the TRX_SYS page. `page.length` is the page size;
 * space id and page number are read from the page header unless given.
 */
export function finalizePage(
  page: Uint8Array, pageLsn: bigint, fsFlags: number, spaceId = spaceIdOf(page), pageNo = pageNoOf(page),
): void {
  const ps = page.length;
  const headerPage = pageNo === 0 || (spaceId === 0 && pageNo === TRX_SYS_PAGE_NO);
  setPageLsn(page, pageLsn);
  if (isFullCrc32(fsFlags)) {
    if (!headerPage) page.fill(0, FIL_PAGE_SPACE_OR_CHKSUM, FIL_PAGE_SPACE_OR_CHKSUM + 4);
    page.copyWithin(ps - FIL_PAGE_DATA_END, FIL_PAGE_LSN + 4, FIL_PAGE_LSN + 8);
    writeFullCrc32Checksum(page);
    return;
  }
  page.copyWithin(ps - FIL_PAGE_DATA_END, FIL_PAGE_LSN, FIL_PAGE_LSN + 8);
  if (ps === 16384) legacyResetType(page, spaceId, pageNo);
  writeLegacyCrc32Checksum(page);
  if (!headerPage) page.fill(0, FIL_PAGE_FILE_FLUSH_LSN_OR_KEY_VERSION, FIL_PAGE_FILE_FLUSH_LSN_OR_KEY_VERSION + 8);
}
