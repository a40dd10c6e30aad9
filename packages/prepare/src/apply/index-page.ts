import { FIL_PAGE_INDEX, FIL_PAGE_RTREE, FIL_PAGE_TYPE, FIL_PAGE_TYPE_INSTANT, setU16, u16 } from './page.js';

/**
 * B-tree index page layout (redo-format.md 4.6; page0page.h, rem0rec.h).
 *
 * The page header starts at PAGE_HEADER (38); records live between PAGE_DATA
 * (94) and PAGE_HEAP_TOP; the sparse directory grows down from ps-8, slot n
 * at `ps - 10 - 2n` holding a record origin (slot 0 = infimum, last =
 * supremum). Record headers lie below the origin r:
 *
 * ```
 * COMPACT/DYNAMIC  r-5: info|n_owned  r-4: heap_no<<3|status (u16)  r-2: next, relative (u16)
 * REDUNDANT        r-6: info|n_owned  r-5: heap_no<<3|.. (u16)      r-4: n_fields<<1 (u16, mask 0x7fe)
 *                  r-3 bit 0: 1-byte field offsets                   r-2: next, absolute (u16)
 *                  field end offsets below r-6 (1 or 2 bytes each, last field = data size)
 * ```
 */
export const PAGE_HEADER = 38;
export const PAGE_N_DIR_SLOTS = PAGE_HEADER + 0;
export const PAGE_HEAP_TOP = PAGE_HEADER + 2;
export const PAGE_N_HEAP = PAGE_HEADER + 4;
export const PAGE_FREE = PAGE_HEADER + 6;
export const PAGE_GARBAGE = PAGE_HEADER + 8;
export const PAGE_LAST_INSERT = PAGE_HEADER + 10;
export const PAGE_INSTANT = PAGE_HEADER + 12;
export const PAGE_DIRECTION_B = PAGE_HEADER + 13;
export const PAGE_N_DIRECTION = PAGE_HEADER + 14;
export const PAGE_N_RECS = PAGE_HEADER + 16;
export const PAGE_MAX_TRX_ID = PAGE_HEADER + 18;
export const PAGE_LEVEL = PAGE_HEADER + 26;
/** End of the page header part that page_create_low() clears (PAGE_HEADER_PRIV_END). */
export const PAGE_HEADER_PRIV_END = 26;
export const PAGE_DATA = 94;

export const PAGE_NEW_INFIMUM = 99;
export const PAGE_NEW_SUPREMUM = 112;
export const PAGE_NEW_SUPREMUM_END = 120;
export const PAGE_OLD_INFIMUM = 101;
export const PAGE_OLD_SUPREMUM = 116;
export const PAGE_OLD_SUPREMUM_END = 125;

export const PAGE_DIR = 8;
export const PAGE_DIR_SLOT_MAX_N_OWNED = 8;
export const PAGE_DIR_SLOT_MIN_N_OWNED = 4;
export const PAGE_HEAP_NO_USER_LOW = 2;
export const REC_N_NEW_EXTRA_BYTES = 5;
export const REC_N_OLD_EXTRA_BYTES = 6;
export const REC_STATUS_NODE_PTR = 1;
export const REC_STATUS_INSTANT = 4;

export const PAGE_LEFT = 1;
export const PAGE_RIGHT = 2;
export const PAGE_NO_DIRECTION = 5;

/** Address of directory slot `n`. */
export const slotAddr = (ps: number, n: number): number => ps - PAGE_DIR - 2 - 2 * n;
export const nDirSlots = (p: Uint8Array): number => u16(p, PAGE_N_DIR_SLOTS);
/** COMPACT/DYNAMIC page (PAGE_N_HEAP bit 15). */
export const isComp = (p: Uint8Array): boolean => (p[PAGE_N_HEAP]! & 0x80) !== 0;
/** Leaf page: PAGE_LEVEL = 0. */
export const isLeaf = (p: Uint8Array): boolean => u16(p, PAGE_LEVEL) === 0;

/** fil_page_index_page_check(): B-tree (incl. instant-ALTER root) or R-tree page. */
export function isIndexPage(p: Uint8Array): boolean {
  const t = u16(p, FIL_PAGE_TYPE);
  return t === FIL_PAGE_INDEX || t === FIL_PAGE_TYPE_INSTANT || t === FIL_PAGE_RTREE;
}

/** n_owned of the record with origin r. */
export const nOwned = (p: Uint8Array, r: number, comp: boolean): number =>
  p[r - (comp ? REC_N_NEW_EXTRA_BYTES : REC_N_OLD_EXTRA_BYTES)]! & 0x0f;

/** Sets n_owned, keeping the info bits. */
export function setNOwned(p: Uint8Array, r: number, n: number, comp: boolean): void {
  const o = r - (comp ? REC_N_NEW_EXTRA_BYTES : REC_N_OLD_EXTRA_BYTES);
  p[o] = (p[o]! & 0xf0) | (n & 0x0f);
}

export const heapNoNew = (p: Uint8Array, r: number): number => u16(p, r - 4) >>> 3;
export const heapNoOld = (p: Uint8Array, r: number): number => u16(p, r - 5) >>> 3;
export const nFieldsOld = (p: Uint8Array, r: number): number => (u16(p, r - 4) & 0x7fe) >>> 1;
export const shortOffsetsOld = (p: Uint8Array, r: number): boolean => (p[r - 3]! & 1) !== 0;

/** REDUNDANT header size: 6 fixed bytes plus one field end offset (1 or 2 bytes) per field. */
export function extraSizeOld(p: Uint8Array, r: number): number {
  const n = nFieldsOld(p, r);
  return REC_N_OLD_EXTRA_BYTES + (shortOffsetsOld(p, r) ? n : 2 * n);
}

/** REDUNDANT data size: the end offset of the last field (rec_get_data_size_old). */
export function dataSizeOld(p: Uint8Array, r: number): number {
  const n = nFieldsOld(p, r);
  if (n === 0) return 0;
  return shortOffsetsOld(p, r)
    ? p[r - REC_N_OLD_EXTRA_BYTES - n]! & 0x7f
    : u16(p, r - REC_N_OLD_EXTRA_BYTES - 2 * n) & 0x3fff;
}

/** The infimum and supremum of an empty ROW_FORMAT=COMPACT/DYNAMIC page, at PAGE_DATA. */
const INFIMUM_SUPREMUM_COMPACT = Uint8Array.of(
  0x01, 0x00, 0x02, 0x00, 0x0d, 0x69, 0x6e, 0x66, 0x69, 0x6d, 0x75, 0x6d, 0x00,
  0x01, 0x00, 0x0b, 0x00, 0x00, 0x73, 0x75, 0x70, 0x72, 0x65, 0x6d, 0x75, 0x6d,
);
/** The infimum and supremum of an empty ROW_FORMAT=REDUNDANT page, at PAGE_DATA. */
const INFIMUM_SUPREMUM_REDUNDANT = Uint8Array.of(
  0x08, 0x01, 0x00, 0x00, 0x03, 0x00, 0x74, 0x69, 0x6e, 0x66, 0x69, 0x6d, 0x75, 0x6d, 0x00,
  0x09, 0x01, 0x00, 0x08, 0x03, 0x00, 0x00, 0x73, 0x75, 0x70, 0x72, 0x65, 0x6d, 0x75, 0x6d, 0x00,
);

/**
 * INIT_ROW_FORMAT_REDUNDANT / INIT_ROW_FORMAT_DYNAMIC (page_create_low()):
 * an empty index page. FIL header, PAGE_LEVEL, PAGE_INDEX_ID, the segment
 * headers (64..93) and the trailer are kept.
 */
export function createIndexPage(p: Uint8Array, ps: number, comp: boolean): void {
  setU16(p, FIL_PAGE_TYPE, FIL_PAGE_INDEX);
  p.fill(0, PAGE_HEADER, PAGE_HEADER + PAGE_HEADER_PRIV_END);
  p[PAGE_N_DIR_SLOTS + 1] = 2;
  p[PAGE_DIRECTION_B] = PAGE_NO_DIRECTION;
  if (comp) {
    p[PAGE_N_HEAP] = 0x80;
    p[PAGE_N_HEAP + 1] = PAGE_HEAP_NO_USER_LOW;
    p[PAGE_HEAP_TOP + 1] = PAGE_NEW_SUPREMUM_END;
    p.set(INFIMUM_SUPREMUM_COMPACT, PAGE_DATA);
    p.fill(0, PAGE_NEW_SUPREMUM_END, ps - PAGE_DIR);
    p[slotAddr(ps, 1) + 1] = PAGE_NEW_SUPREMUM;
    p[slotAddr(ps, 0) + 1] = PAGE_NEW_INFIMUM;
  } else {
    p[PAGE_N_HEAP + 1] = PAGE_HEAP_NO_USER_LOW;
    p[PAGE_HEAP_TOP + 1] = PAGE_OLD_SUPREMUM_END;
    p.set(INFIMUM_SUPREMUM_REDUNDANT, PAGE_DATA);
    p.fill(0, PAGE_OLD_SUPREMUM_END, ps - PAGE_DIR);
    p[slotAddr(ps, 1) + 1] = PAGE_OLD_SUPREMUM;
    p[slotAddr(ps, 0) + 1] = PAGE_OLD_INFIMUM;
  }
}

/**
 * Updates PAGE_DIRECTION_B / PAGE_N_DIRECTION after an insert (not on R-tree
 * pages): `last` is PAGE_LAST_INSERT before the insert.
 */
export function updateDirection(p: Uint8Array, last: number, prevRec: number, nextRec: number): void {
  if (p[FIL_PAGE_TYPE + 1] === (FIL_PAGE_RTREE & 0xff)) return;
  const d = p[PAGE_DIRECTION_B]!;
  const dir = d & 7;
  if (last !== 0) {
    let to = 0;
    if (last === prevRec && dir !== PAGE_LEFT) to = PAGE_RIGHT;
    else if (last === nextRec && dir !== PAGE_RIGHT) to = PAGE_LEFT;
    if (to !== 0) {
      p[PAGE_DIRECTION_B] = (d & ~7) | to;
      setU16(p, PAGE_N_DIRECTION, u16(p, PAGE_N_DIRECTION) + 1);
      return;
    }
  }
  p[PAGE_DIRECTION_B] = (d & ~7) | PAGE_NO_DIRECTION;
  setU16(p, PAGE_N_DIRECTION, 0);
}
