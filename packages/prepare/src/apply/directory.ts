import {
  PAGE_DIR_SLOT_MAX_N_OWNED,
  PAGE_DIR_SLOT_MIN_N_OWNED,
  PAGE_HEAP_TOP,
  PAGE_N_DIR_SLOTS,
  PAGE_NEW_SUPREMUM,
  PAGE_OLD_SUPREMUM,
  isComp,
  nDirSlots,
  nOwned,
  setNOwned,
  slotAddr,
} from './index-page.js';
import { setU16, u16 } from './page.js';

/**
 * The sparse page directory (page0cur.cc page_dir_split_slot(),
 * page_dir_balance_slot()). Each slot owns 4..8 records (the supremum's slot
 * 1..8); the owner is the last record of its group and carries n_owned.
 */

/** Reports a failed consistency check; never returns. */
export type Fail = (check: string) => never;

/**
 * Address of the slot pointing to record `owner`, searched from the supremum
 * slot upwards; slot 0 (the infimum) never matches. Returns -1 if none does.
 */
export function findOwnerSlot(p: Uint8Array, ps: number, owner: number): number {
  const first = slotAddr(ps, 0);
  const last = slotAddr(ps, nDirSlots(p) - 1);
  if (LITTLE_ENDIAN && (p.byteOffset & 1) === 0) {
    // Slots are big-endian u16 at even offsets: compare whole slots, the owner byte-swapped.
    const v = u16View(p);
    const want = ((owner & 0xff) << 8) | (owner >>> 8);
    for (let i = last >>> 1, end = first >>> 1; i < end; i++) if (v[i] === want) return i << 1;
    return -1;
  }
  for (let s = last; s < first; s += 2) if (u16(p, s) === owner) return s;
  return -1;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
let viewOf: Uint8Array | undefined;
let view: Uint16Array<ArrayBufferLike> = new Uint16Array(0);

/** A Uint16Array over the page (the last one is kept: a page's records are applied one after another). */
function u16View(p: Uint8Array): Uint16Array {
  if (p !== viewOf) {
    viewOf = p;
    view = new Uint16Array(p.buffer, p.byteOffset, p.length >>> 1);
  }
  return view;
}

/**
 * page_rec_get_next_low(): the successor of `r` (COMPACT: relative pointer
 * taken modulo the page size), or `fail` when it is null or outside
 * [supremum, PAGE_HEAP_TOP].
 */
function nextInPage(p: Uint8Array, ps: number, r: number, comp: boolean, fail: Fail): number {
  const v = u16(p, r - 2);
  if (v === 0) fail(`record ${r} has no successor in the directory walk`);
  const n = comp ? (r + v) & (ps - 1) : v;
  if (n < (comp ? PAGE_NEW_SUPREMUM : PAGE_OLD_SUPREMUM) || n > u16(p, PAGE_HEAP_TOP)) {
    fail(`next record ${n} of record ${r} is outside the heap`);
  }
  return n;
}

/**
 * Splits the slot at address `slot` whose owner now owns 9 records: a new slot
 * is opened just below it (towards lower keys) pointing to the 4th record after
 * the previous slot's owner, which then owns 4; the old owner owns 5.
 */
export function splitSlot(p: Uint8Array, ps: number, slot: number, fail: Fail): void {
  const comp = isComp(p);
  const nOwnedTotal = PAGE_DIR_SLOT_MAX_N_OWNED + 1;
  const half = nOwnedTotal >>> 1;
  let rec = u16(p, slot + 2);
  for (let i = half; i--; ) rec = nextInPage(p, ps, rec, comp, fail);
  const n = nDirSlots(p);
  const last = ps - 8 - 2 - 2 * n;
  p.copyWithin(last, last + 2, slot + 2);
  setU16(p, PAGE_N_DIR_SLOTS, n + 1);
  setU16(p, slot, rec);
  setNOwned(p, rec, half, comp);
  setNOwned(p, u16(p, slot - 2), nOwnedTotal - half, comp);
}

/**
 * Rebalances slot number `s` whose owner dropped to 3 records: merged into the
 * next slot (higher keys) if that owns at most 4, else that slot gives it one
 * record. The last (supremum) slot is left alone.
 */
export function balanceSlot(p: Uint8Array, ps: number, s: number, fail: Fail): void {
  const comp = isComp(p);
  const n = nDirSlots(p);
  if (s + 1 === n) return;
  const slot = slotAddr(ps, s);
  const upRec = u16(p, slot - 2);
  const slotRec = u16(p, slot);
  const upOwned = nOwned(p, upRec, comp);
  if (upOwned <= PAGE_DIR_SLOT_MIN_N_OWNED) {
    setNOwned(p, slotRec, 0, comp);
    setNOwned(p, upRec, upOwned + PAGE_DIR_SLOT_MIN_N_OWNED - 1, comp);
    const last = slotAddr(ps, n - 1);
    p.copyWithin(last + 2, last, slot);
    p[last] = 0;
    p[last + 1] = 0;
    setU16(p, PAGE_N_DIR_SLOTS, n - 1);
    return;
  }
  setNOwned(p, slotRec, 0, comp);
  const v = u16(p, slotRec - 2);
  if (v === 0) fail(`slot record ${slotRec} has no successor to transfer`);
  const newRec = comp ? (slotRec + v) & (ps - 1) : v;
  if (newRec >= ps) fail(`next record ${newRec} of slot record ${slotRec} is outside the page`);
  setNOwned(p, newRec, PAGE_DIR_SLOT_MIN_N_OWNED, comp);
  setNOwned(p, upRec, upOwned - 1, comp);
  setU16(p, slot, newRec);
}
