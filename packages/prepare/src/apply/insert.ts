import type { InsertDynamicFields, InsertRedundantFields } from '@ibarchive/parser';
import { findOwnerSlot, splitSlot, type Fail } from './directory.js';
import {
  PAGE_DIR_SLOT_MAX_N_OWNED,
  PAGE_FREE,
  PAGE_GARBAGE,
  PAGE_HEAP_NO_USER_LOW,
  PAGE_HEAP_TOP,
  PAGE_LAST_INSERT,
  PAGE_N_HEAP,
  PAGE_N_RECS,
  PAGE_NEW_INFIMUM,
  PAGE_NEW_SUPREMUM,
  PAGE_NEW_SUPREMUM_END,
  PAGE_OLD_INFIMUM,
  PAGE_OLD_SUPREMUM,
  PAGE_OLD_SUPREMUM_END,
  REC_N_NEW_EXTRA_BYTES,
  REC_N_OLD_EXTRA_BYTES,
  REC_STATUS_INSTANT,
  REC_STATUS_NODE_PTR,
  dataSizeOld,
  heapNoNew,
  heapNoOld,
  isIndexPage,
  isLeaf,
  nDirSlots,
  nFieldsOld,
  nOwned,
  setNOwned,
  shortOffsetsOld,
  slotAddr,
  updateDirection,
} from './index-page.js';
import { copyIn, moveWithin } from './basic.js';
import { pageNoOf, pageTypeOf, setU16, u16 } from './page.js';

/**
 * INSERT_HEAP_* / INSERT_REUSE_* (redo-format.md 4.6.3-4.6.6), exactly as
 * page_apply_insert_redundant() / page_apply_insert_dynamic() in MariaDB
 * 10.11 page0cur.cc: every consistency check is made before the page is
 * modified. The new record is linked after `prev`, its header is partly
 * literal and partly copied from the predecessor, its data is `data_c` bytes
 * of the predecessor followed by the literal data; it is stored at
 * PAGE_HEAP_TOP (HEAP) or in the first PAGE_FREE record (REUSE).
 */

const REC_MAX_N_FIELDS = 1023;
/** The REDUNDANT record header is built here before it is copied (insert_buf). */
const header = new Uint8Array(REC_N_OLD_EXTRA_BYTES + REC_MAX_N_FIELDS * 2);

function checkIndexPage(p: Uint8Array, pageNo: number, supremumNext: number, fail: Fail): void {
  if (!isIndexPage(p)) fail(`not an index page (FIL_PAGE_TYPE ${pageTypeOf(p)})`);
  if (pageNoOf(p) !== pageNo) fail(`page header holds page number ${pageNoOf(p)}`);
  if (u16(p, supremumNext) !== 0) fail('supremum has a next record');
}

/** Walks from `next` to the record that owns it (n_owned != 0) in at most 8 steps. */
function findOwner(p: Uint8Array, next: number, comp: boolean, heapTop: number, fail: Fail): number {
  const sup = comp ? PAGE_NEW_SUPREMUM : PAGE_OLD_SUPREMUM;
  const low = comp ? PAGE_NEW_SUPREMUM_END + REC_N_NEW_EXTRA_BYTES : PAGE_OLD_SUPREMUM_END + REC_N_OLD_EXTRA_BYTES;
  let owner = next;
  for (let ns = PAGE_DIR_SLOT_MAX_N_OWNED; nOwned(p, owner, comp) === 0; ) {
    owner = comp ? (owner + u16(p, owner - 2)) & 0xffff : u16(p, owner - 2);
    if (owner !== sup && (owner < low || owner > heapTop)) fail(`record list leaves the heap at ${owner}`);
    if (ns-- === 0) fail(`owner record not found within ${PAGE_DIR_SLOT_MAX_N_OWNED} steps`);
  }
  return owner;
}

/** n_owned of the owner (at most 8) and the address of its directory slot. */
function ownerSlot(p: Uint8Array, ps: number, owner: number, comp: boolean, fail: Fail): number {
  if (nOwned(p, owner, comp) > PAGE_DIR_SLOT_MAX_N_OWNED) fail(`owner record ${owner} owns more than 8 records`);
  const slot = findOwnerSlot(p, ps, owner);
  if (slot < 0) fail(`no directory slot points to owner record ${owner}`);
  return slot;
}

/** Finishes an insert: owner count, direction, PAGE_N_RECS, slot split if the owner had 8. */
function finishInsert(
  p: Uint8Array, ps: number, owner: number, ownerN: number, slot: number, comp: boolean,
  last: number, prevRec: number, nextRec: number, fail: Fail,
): void {
  setNOwned(p, owner, ownerN + 1, comp);
  updateDirection(p, last, prevRec, nextRec);
  setU16(p, PAGE_N_RECS, u16(p, PAGE_N_RECS) + 1);
  if (ownerN === PAGE_DIR_SLOT_MAX_N_OWNED) splitSlot(p, ps, slot, fail);
}

/** Applies INSERT_HEAP_REDUNDANT (`reuse` false) or INSERT_REUSE_REDUNDANT. */
export function insertRedundant(
  p: Uint8Array, ps: number, pageNo: number, reuse: boolean, f: InsertRedundantFields, data: Uint8Array, fail: Fail,
): void {
  const nSlots = nDirSlots(p);
  const h = u16(p, PAGE_N_HEAP);
  if (nSlots < 2) fail(`PAGE_N_DIR_SLOTS is ${nSlots}`);
  if (h < nSlots || h < PAGE_HEAP_NO_USER_LOW || h >= Math.floor(ps / REC_N_OLD_EXTRA_BYTES)) {
    fail(`PAGE_N_HEAP 0x${h.toString(16)} is invalid for a ROW_FORMAT=REDUNDANT page with ${nSlots} slots`);
  }
  checkIndexPage(p, pageNo, PAGE_OLD_SUPREMUM - 2, fail);
  const lastSlot = slotAddr(ps, nSlots - 1);
  const heapBot = PAGE_OLD_SUPREMUM_END;
  const heapTop = u16(p, PAGE_HEAP_TOP);
  if (heapTop < heapBot || heapTop > lastSlot) fail(`PAGE_HEAP_TOP ${heapTop} outside [${heapBot}, ${lastSlot}]`);
  if (u16(p, lastSlot) !== PAGE_OLD_SUPREMUM) fail('last directory slot does not point to the supremum');
  if (u16(p, slotAddr(ps, 0)) !== PAGE_OLD_INFIMUM) fail('first directory slot does not point to the infimum');
  const prevRec = PAGE_OLD_INFIMUM + f.prev;
  if (f.prev !== 0 && (prevRec < heapBot + REC_N_OLD_EXTRA_BYTES + 1 || prevRec > heapTop)) {
    fail(`predecessor ${prevRec} outside the heap`);
  }
  const pnFields = nFieldsOld(p, prevRec);
  if (pnFields === 0 || pnFields > REC_MAX_N_FIELDS) fail(`predecessor has ${pnFields} fields`);
  const pextra = REC_N_OLD_EXTRA_BYTES + (shortOffsetsOld(p, prevRec) ? pnFields : 2 * pnFields);
  if (prevRec !== PAGE_OLD_INFIMUM && prevRec - pextra < heapBot) fail('predecessor header starts below the heap');
  if (f.hdrC !== 0 && prevRec - f.hdrC < heapBot) fail(`hdr_c ${f.hdrC} reaches below the heap`);
  if (prevRec + dataSizeOld(p, prevRec) > heapTop) fail('predecessor data ends above PAGE_HEAP_TOP');
  const nextRec = u16(p, prevRec - 2);
  if (nextRec !== PAGE_OLD_SUPREMUM && (nextRec < heapBot + REC_N_OLD_EXTRA_BYTES || nextRec > heapTop)) {
    fail(`successor ${nextRec} outside the heap`);
  }
  const isShort = (f.header >>> 2) & 1;
  const nFields = (f.header >>> 3) + 1;
  if (nFields > REC_MAX_N_FIELDS) fail(`${nFields} fields`);
  const extra = REC_N_OLD_EXTRA_BYTES + (isShort ? nFields : 2 * nFields);
  const hc = f.hdrC + REC_N_OLD_EXTRA_BYTES;
  const dataLen = f.dataEnd - f.dataStart;
  if (hc > extra) fail(`hdr_c ${f.hdrC} exceeds the ${extra}-byte header`);
  if (extra - hc > dataLen) fail(`${dataLen} literal bytes cannot hold ${extra - hc} header bytes`);

  const owner = findOwner(p, nextRec, false, heapTop, fail);
  const ownerN = nOwned(p, owner, false);
  const slot = ownerSlot(p, ps, owner, false, fail);

  const hb = header;
  const litHdr = extra - hc;
  for (let i = 0; i < litHdr; i++) hb[i] = data[f.dataStart + i]!;
  for (let i = 0; i < hc; i++) hb[litHdr + i] = p[prevRec - hc + i]!;
  const r = extra;
  hb[r - 6] = ((f.header & 3) << 4) | (hb[r - 6]! & 0x0f);
  hb[r - 3] = (hb[r - 3]! & ~1) | isShort;
  setU16(hb, r - 4, (u16(hb, r - 4) & ~0x7fe) | (nFields << 1));
  hb[r - 6] = hb[r - 6]! & 0xf0;
  const dataSize = dataSizeOld(hb, r);
  if (f.dataC > dataSize) fail(`data_c ${f.dataC} exceeds the record's ${dataSize} data bytes`);
  if (litHdr + dataSize - f.dataC !== dataLen) {
    fail(`${dataLen} literal bytes do not match header ${litHdr} + data ${dataSize} - data_c ${f.dataC}`);
  }
  if (prevRec + f.dataC > ps) fail(`data_c ${f.dataC} reads past the page end`);

  let buf: number;
  if (reuse) {
    const free = u16(p, PAGE_FREE);
    if (free < heapBot + REC_N_OLD_EXTRA_BYTES || free > heapTop) fail(`PAGE_FREE ${free} outside the heap`);
    const fn = nFieldsOld(p, free);
    const fextra = REC_N_OLD_EXTRA_BYTES + (shortOffsetsOld(p, free) ? fn : 2 * fn);
    if (free - fextra < heapBot) fail('free record header starts below the heap');
    const fdata = dataSizeOld(p, free);
    if (free + fdata > heapTop) fail('free record data ends above PAGE_HEAP_TOP');
    if (extra + dataSize > fextra + fdata) fail(`record of ${extra + dataSize} bytes does not fit the ${fextra + fdata}-byte free record`);
    const garbage = u16(p, PAGE_GARBAGE);
    if (garbage < fextra + fdata) fail(`PAGE_GARBAGE ${garbage} smaller than the free record`);
    buf = free - fextra;
    const nextFree = u16(p, free - 2);
    if (nextFree !== 0 && (nextFree < heapBot + REC_N_OLD_EXTRA_BYTES + 1 || nextFree > heapTop)) {
      fail(`next free record ${nextFree} outside the heap`);
    }
    setU16(p, PAGE_GARBAGE, garbage - extra - dataSize);
    setU16(hb, r - 5, (u16(hb, r - 5) & 7) | (heapNoOld(p, free) << 3));
    p[PAGE_FREE] = p[free - 2]!;
    p[PAGE_FREE + 1] = p[free - 1]!;
  } else {
    if (heapTop + extra + dataSize > lastSlot) fail('record does not fit below the page directory');
    setU16(hb, r - 5, (u16(hb, r - 5) & 7) | (h << 3));
    setU16(p, PAGE_N_HEAP, h + 1);
    setU16(p, PAGE_HEAP_TOP, heapTop + extra + dataSize);
    buf = heapTop;
  }

  const last = u16(p, PAGE_LAST_INSERT);
  for (let i = 0; i < extra; i++) p[buf + i] = hb[i]!;
  const origin = buf + extra;
  setU16(p, PAGE_LAST_INSERT, origin);
  setU16(p, prevRec - 2, origin);
  moveWithin(p, origin, prevRec, f.dataC);
  copyIn(p, origin + f.dataC, data, f.dataStart + litHdr, f.dataEnd);
  finishInsert(p, ps, owner, ownerN, slot, false, last, prevRec, nextRec, fail);
}

/** Applies INSERT_HEAP_DYNAMIC (`reuse` false) or INSERT_REUSE_DYNAMIC. */
export function insertDynamic(
  p: Uint8Array, ps: number, pageNo: number, reuse: boolean, f: InsertDynamicFields, data: Uint8Array, fail: Fail,
): void {
  const nSlots = nDirSlots(p);
  let h = u16(p, PAGE_N_HEAP);
  const hdrL = f.encHdrL >>> 3;
  const dataLen = f.dataEnd - f.dataStart;
  if (nSlots < 2) fail(`PAGE_N_DIR_SLOTS is ${nSlots}`);
  if (h < (PAGE_HEAP_NO_USER_LOW | 0x8000) || (h & 0x7fff) >= Math.floor(ps / REC_N_NEW_EXTRA_BYTES) || (h & 0x7fff) < nSlots) {
    fail(`PAGE_N_HEAP 0x${h.toString(16)} is invalid for a ROW_FORMAT=COMPACT/DYNAMIC page with ${nSlots} slots`);
  }
  checkIndexPage(p, pageNo, PAGE_NEW_SUPREMUM - 2, fail);
  if ((f.encHdrL & REC_STATUS_INSTANT) !== 0 && !isLeaf(p)) fail('instant-metadata record on a non-leaf page');
  if (hdrL > dataLen) fail(`${dataLen} literal bytes cannot hold ${hdrL} header bytes`);
  const lastSlot = slotAddr(ps, nSlots - 1);
  const heapBot = PAGE_NEW_SUPREMUM_END;
  const heapTop = u16(p, PAGE_HEAP_TOP);
  if (heapTop < heapBot || heapTop > lastSlot) fail(`PAGE_HEAP_TOP ${heapTop} outside [${heapBot}, ${lastSlot}]`);
  if (u16(p, lastSlot) !== PAGE_NEW_SUPREMUM) fail('last directory slot does not point to the supremum');
  if (u16(p, slotAddr(ps, 0)) !== PAGE_NEW_INFIMUM) fail('first directory slot does not point to the infimum');

  const prevRec = (PAGE_NEW_INFIMUM + f.prev) & 0xffff;
  if (f.prev !== 0 && (prevRec < heapBot + REC_N_NEW_EXTRA_BYTES || prevRec > heapTop)) {
    fail(`predecessor ${prevRec} outside the heap`);
  }
  const nextRec = (prevRec + u16(p, prevRec - 2)) & 0xffff;
  if (nextRec !== PAGE_NEW_SUPREMUM && (nextRec < heapBot + REC_N_NEW_EXTRA_BYTES || nextRec > heapTop)) {
    fail(`successor ${nextRec} outside the heap`);
  }
  const owner = findOwner(p, nextRec, true, heapTop, fail);
  const ownerN = nOwned(p, owner, true);
  const slot = ownerSlot(p, ps, owner, true, fail);

  const extra = REC_N_NEW_EXTRA_BYTES + f.hdrC + hdrL;
  const dataSize = f.dataC + dataLen - hdrL;
  if (prevRec - REC_N_NEW_EXTRA_BYTES - f.hdrC < 0) fail(`hdr_c ${f.hdrC} reaches before the page start`);
  if (prevRec + f.dataC > ps) fail(`data_c ${f.dataC} reads past the page end`);

  let buf: number;
  if (reuse) {
    const free = u16(p, PAGE_FREE);
    if (free < heapBot + REC_N_NEW_EXTRA_BYTES || free > heapTop) fail(`PAGE_FREE ${free} outside the heap`);
    buf = free - extra;
    if (f.shift & 1) buf -= f.shift >>> 1;
    else buf += f.shift >>> 1;
    if (buf < heapBot || buf + extra + dataSize > heapTop) fail(`reused space [${buf}, ${buf + extra + dataSize}) outside the heap`);
    const garbage = u16(p, PAGE_GARBAGE);
    if (garbage < extra + dataSize) fail(`PAGE_GARBAGE ${garbage} smaller than the record`);
    let n = u16(p, free - 2);
    if (n !== 0) {
      n = (n + free) & 0xffff;
      if (n < PAGE_NEW_SUPREMUM_END + REC_N_NEW_EXTRA_BYTES || n > heapTop) fail(`next free record ${n} outside the heap`);
    }
    setU16(p, PAGE_FREE, n);
    setU16(p, PAGE_GARBAGE, garbage - (extra + dataSize));
    h = heapNoNew(p, free);
  } else {
    if (heapTop + extra + dataSize > lastSlot) fail('record does not fit below the page directory');
    setU16(p, PAGE_N_HEAP, h + 1);
    h &= 0x7fff;
    setU16(p, PAGE_HEAP_TOP, heapTop + extra + dataSize);
    buf = heapTop;
  }

  copyIn(p, buf, data, f.dataStart, f.dataStart + hdrL);
  buf += hdrL;
  moveWithin(p, buf, prevRec - REC_N_NEW_EXTRA_BYTES - f.hdrC, f.hdrC);
  buf += f.hdrC;
  p[buf++] = (f.encHdrL & 3) << 4;
  p[buf++] = (h >>> 5) & 0xff;
  p[buf++] = (((h & 31) << 3) | (isLeaf(p) ? f.encHdrL & REC_STATUS_INSTANT : REC_STATUS_NODE_PTR)) & 0xff;
  buf += 2;
  setU16(p, buf - 2, nextRec - buf);
  const last = u16(p, PAGE_LAST_INSERT);
  setU16(p, PAGE_LAST_INSERT, buf);
  setU16(p, prevRec - 2, buf - prevRec);
  moveWithin(p, buf, prevRec, f.dataC);
  copyIn(p, buf + f.dataC, data, f.dataStart + hdrL, f.dataEnd);
  finishInsert(p, ps, owner, ownerN, slot, true, last, prevRec, nextRec, fail);
}
