import type { Fail } from './directory.js';
import { copyIn } from './basic.js';
import { FIL_PAGE_DATA, FIL_PAGE_DATA_END, FIL_PAGE_TYPE, FIL_PAGE_UNDO_LOG, setU16, u16 } from './page.js';

/**
 * Undo log pages (redo-format.md 4.6.1, 4.6.2; trx0undo.cc
 * trx_undo_page_init(), log0recv.cc log_phys_t::undo_append()).
 *
 * ```
 * 38 TRX_UNDO_PAGE_TYPE (2)  40 TRX_UNDO_PAGE_START (2)  42 TRX_UNDO_PAGE_FREE (2)
 * 44 TRX_UNDO_PAGE_NODE: prev page (4) byte (2), next page (4) byte (2)
 * 56 undo segment header (30 bytes, first page of a segment only)  86.. records
 * ```
 * Each undo record R appended at FREE is framed as `u16 next-free | R | u16 start`.
 */
export const TRX_UNDO_PAGE_HDR = FIL_PAGE_DATA;
export const TRX_UNDO_PAGE_TYPE = TRX_UNDO_PAGE_HDR;
export const TRX_UNDO_PAGE_START = TRX_UNDO_PAGE_HDR + 2;
export const TRX_UNDO_PAGE_FREE = TRX_UNDO_PAGE_HDR + 4;
export const TRX_UNDO_PAGE_NODE = TRX_UNDO_PAGE_HDR + 6;
export const TRX_UNDO_PAGE_HDR_SIZE = 18;
export const TRX_UNDO_SEG_HDR = TRX_UNDO_PAGE_HDR + TRX_UNDO_PAGE_HDR_SIZE;
export const TRX_UNDO_SEG_HDR_SIZE = 30;

/** UNDO_INIT: an empty undo page; the undo segment header (56..85) is kept, the rest of the body cleared. */
export function undoInit(p: Uint8Array, ps: number): void {
  setU16(p, FIL_PAGE_TYPE, FIL_PAGE_UNDO_LOG);
  setU16(p, TRX_UNDO_PAGE_TYPE, 0);
  setU16(p, TRX_UNDO_PAGE_START, TRX_UNDO_SEG_HDR);
  setU16(p, TRX_UNDO_PAGE_FREE, TRX_UNDO_SEG_HDR);
  p.fill(0xff, TRX_UNDO_PAGE_NODE, TRX_UNDO_PAGE_NODE + 4);
  p.fill(0, TRX_UNDO_PAGE_NODE + 4, TRX_UNDO_PAGE_NODE + 6);
  p.fill(0xff, TRX_UNDO_PAGE_NODE + 6, TRX_UNDO_PAGE_NODE + 10);
  p.fill(0, TRX_UNDO_PAGE_NODE + 10, TRX_UNDO_PAGE_NODE + 12);
  p.fill(0, TRX_UNDO_SEG_HDR + TRX_UNDO_SEG_HDR_SIZE, ps - FIL_PAGE_DATA_END);
}

/** UNDO_APPEND: appends the undo record data[start, end) at TRX_UNDO_PAGE_FREE. */
export function undoAppend(p: Uint8Array, ps: number, data: Uint8Array, start: number, end: number, fail: Fail): void {
  const len = end - start;
  const free = u16(p, TRX_UNDO_PAGE_FREE);
  if (free < TRX_UNDO_SEG_HDR) fail(`TRX_UNDO_PAGE_FREE ${free} below ${TRX_UNDO_SEG_HDR}`);
  if (free + len + 6 >= ps - FIL_PAGE_DATA_END) fail(`undo record of ${len} bytes at ${free} does not fit the page`);
  const newFree = free + 4 + len;
  setU16(p, TRX_UNDO_PAGE_FREE, newFree);
  setU16(p, free, newFree);
  copyIn(p, free + 2, data, start, end);
  setU16(p, free + 2 + len, free);
}
