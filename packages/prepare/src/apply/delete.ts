import type { DeleteDynamicFields } from '@ibarchive/parser';
import { balanceSlot, type Fail } from './directory.js';
import {
  PAGE_DIR,
  PAGE_DIR_SLOT_MIN_N_OWNED,
  PAGE_FREE,
  PAGE_GARBAGE,
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
  dataSizeOld,
  extraSizeOld,
  heapNoNew,
  heapNoOld,
  isComp,
  isIndexPage,
  nDirSlots,
  nOwned,
  setNOwned,
  slotAddr,
} from './index-page.js';
import { pageNoOf, pageTypeOf, setU16, u16 } from './page.js';

/**
 * DELETE_ROW_FORMAT_REDUNDANT / DELETE_ROW_FORMAT_DYNAMIC (redo-format.md
 * 4.6.7-4.6.9), as page_apply_delete_redundant() / page_apply_delete_dynamic()
 * and page_mem_free() in MariaDB 10.11 page0cur.cc: the successor of `prev`
 * is unlinked, its owner's count drops (the slot moves to `prev` if it pointed
 * to the deleted record), the record goes to PAGE_FREE (or, if it is the last
 * one allocated from the heap, PAGE_HEAP_TOP shrinks), and an owner left with
 * 3 records is balanced with the next slot.
 */

function checkPage(p: Uint8Array, pageNo: number, comp: boolean, fail: Fail): void {
  if (u16(p, PAGE_N_RECS) === 0) fail('PAGE_N_RECS is 0');
  const n = nDirSlots(p);
  if (n < 2) fail(`PAGE_N_DIR_SLOTS is ${n}`);
  if (!isIndexPage(p)) fail(`not an index page (FIL_PAGE_TYPE ${pageTypeOf(p)})`);
  if (pageNoOf(p) !== pageNo) fail(`page header holds page number ${pageNoOf(p)}`);
  if (isComp(p) !== comp) fail(comp ? 'page is ROW_FORMAT=REDUNDANT' : 'page is not ROW_FORMAT=REDUNDANT');
  if (u16(p, (comp ? PAGE_NEW_SUPREMUM : PAGE_OLD_SUPREMUM) - 2) !== 0) fail('supremum has a next record');
}

/** The common part once rec, next and sizes are validated. */
function unlink(
  p: Uint8Array, ps: number, comp: boolean, prevRec: number, rec: number, next: number,
  extra: number, dataSize: number, fail: Fail,
): void {
  const sup = comp ? PAGE_NEW_SUPREMUM : PAGE_OLD_SUPREMUM;
  const low = comp ? PAGE_NEW_SUPREMUM_END + REC_N_NEW_EXTRA_BYTES : PAGE_OLD_SUPREMUM_END + REC_N_OLD_EXTRA_BYTES;
  let slot = slotAddr(ps, nDirSlots(p) - 1);
  let s = rec;
  let owned: number;
  for (let i = u16(p, PAGE_N_RECS); (owned = nOwned(p, s, comp)) === 0; ) {
    if (comp) {
      const v = u16(p, s - 2);
      if (v < REC_N_NEW_EXTRA_BYTES || v > 0x10000 - REC_N_NEW_EXTRA_BYTES) fail(`record ${s} has next pointer 0x${v.toString(16)}`);
      s = (s + v) & 0xffff;
    } else {
      s = u16(p, s - 2);
    }
    if (s !== sup && (s < low || s > slot)) fail(`record list leaves the heap at ${s}`);
    if (i-- === 0) fail('owner record not found (cyclic record list?)');
  }
  owned--;
  const first = ps - (PAGE_DIR + 2);
  while (u16(p, slot) !== s) {
    slot += 2;
    if (slot === first) fail(`no directory slot points to owner record ${s}`);
  }
  if (rec === s) {
    s = prevRec;
    setU16(p, slot, s);
  }
  if (comp) setU16(p, prevRec - 2, next - prevRec);
  else {
    p[prevRec - 2] = p[rec - 2]!;
    p[prevRec - 1] = p[rec - 1]!;
  }
  setNOwned(p, s, owned, comp);
  memFree(p, rec, dataSize, extra);
  if (owned < PAGE_DIR_SLOT_MIN_N_OWNED) balanceSlot(p, ps, (first - slot) >>> 1, fail);
}

/** page_mem_free(): prepends the record to PAGE_FREE, or shrinks the heap if it is the top record. */
function memFree(p: Uint8Array, rec: number, dataSize: number, extra: number): void {
  const free = u16(p, PAGE_FREE);
  const nHeap = (u16(p, PAGE_N_HEAP) - 1) & 0xffff;
  const deletingTop = nHeap === ((nHeap & 0x8000) !== 0 ? heapNoNew(p, rec) | 0x8000 : heapNoOld(p, rec));
  if (deletingTop) {
    const heapTop = u16(p, PAGE_HEAP_TOP);
    const savings = heapTop - (rec + dataSize);
    setU16(p, PAGE_HEAP_TOP, rec - extra);
    setU16(p, PAGE_N_HEAP, nHeap);
    if (savings !== 0) setU16(p, PAGE_GARBAGE, u16(p, PAGE_GARBAGE) - savings);
  } else {
    setU16(p, PAGE_FREE, rec);
    setU16(p, PAGE_GARBAGE, u16(p, PAGE_GARBAGE) + extra + dataSize);
  }
  setU16(p, PAGE_LAST_INSERT, 0);
  setU16(p, PAGE_N_RECS, u16(p, PAGE_N_RECS) - 1);
  if (deletingTop) {
    p.fill(0, rec - extra, rec + dataSize);
  } else {
    setU16(p, rec - 2, free === 0 ? 0 : (nHeap & 0x8000) !== 0 ? free - rec : free);
    p.fill(0, rec, rec + dataSize);
  }
}

/** Applies DELETE_ROW_FORMAT_REDUNDANT: deletes the successor of PAGE_OLD_INFIMUM + prev. */
export function deleteRedundant(p: Uint8Array, ps: number, pageNo: number, prev: number, fail: Fail): void {
  checkPage(p, pageNo, false, fail);
  const slot = slotAddr(ps, nDirSlots(p) - 1);
  const prevRec = PAGE_OLD_INFIMUM + prev;
  if (prevRec > slot) fail(`predecessor ${prevRec} beyond the page directory`);
  const rec = u16(p, prevRec - 2);
  const low = PAGE_OLD_SUPREMUM_END + REC_N_OLD_EXTRA_BYTES;
  if (rec < low || rec > slot) fail(`deleted record ${rec} outside the heap`);
  const extra = extraSizeOld(p, rec);
  if (rec < PAGE_OLD_SUPREMUM_END + extra) fail(`deleted record header [${rec - extra}, ${rec}) below the heap`);
  const dataSize = dataSizeOld(p, rec);
  if (rec + dataSize > slot) fail(`deleted record data [${rec}, ${rec + dataSize}) beyond the page directory`);
  const next = u16(p, rec - 2);
  if (next !== PAGE_OLD_SUPREMUM && (next < low || next > slot)) fail(`successor ${next} outside the heap`);
  unlink(p, ps, false, prevRec, rec, next, extra, dataSize, fail);
}

/** Applies DELETE_ROW_FORMAT_DYNAMIC: deletes the successor of PAGE_NEW_INFIMUM + prev. */
export function deleteDynamic(p: Uint8Array, ps: number, pageNo: number, f: DeleteDynamicFields, fail: Fail): void {
  checkPage(p, pageNo, true, fail);
  const slot = slotAddr(ps, nDirSlots(p) - 1);
  const prevRec = (PAGE_NEW_INFIMUM + f.prev) & 0xffff;
  if (prevRec > slot) fail(`predecessor ${prevRec} beyond the page directory`);
  const rec = (prevRec + u16(p, prevRec - 2)) & 0xffff;
  const low = PAGE_NEW_SUPREMUM_END + REC_N_NEW_EXTRA_BYTES;
  if (rec < low || rec > slot) fail(`deleted record ${rec} outside the heap`);
  const extra = REC_N_NEW_EXTRA_BYTES + f.hdrSize;
  if (rec < PAGE_NEW_SUPREMUM_END + extra || rec + f.dataSize > slot) {
    fail(`deleted record [${rec - extra}, ${rec + f.dataSize}) outside the heap`);
  }
  const next = (rec + u16(p, rec - 2)) & 0xffff;
  if (next !== PAGE_NEW_SUPREMUM && (next < low || next > slot)) fail(`successor ${next} outside the heap`);
  unlink(p, ps, true, prevRec, rec, next, extra, f.dataSize, fail);
}
