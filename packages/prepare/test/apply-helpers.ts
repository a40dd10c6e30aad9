import { EXTENDED, MEMMOVE, MEMSET, RecordReader, WRITE, encodeVarint, type PageRecord } from '@ibarchive/parser';
import { applyRecord, type ApplyContext } from '../src/apply/index.js';

/**
 * Test helpers for the appliers: records are built as real redo bytes and
 * decoded by the parser's RecordReader (so the applier sees exactly what
 * prepare will give it), and an independent index-page validator checks the
 * invariants InnoDB keeps (page_simple_validate_new/old).
 */

export const PS = 16384;
export const hex = (s: string): number[] => s.trim().split(/\s+/).map((h) => parseInt(h, 16));
export const v = (n: number): number[] => [...encodeVarint(n)];

/** A record's first byte(s): type (with same_page) and length, then the body. */
export function frame(typeByte: number, body: number[]): number[] {
  if (body.length <= 15) return [typeByte | body.length, ...body];
  for (let l = 1; l <= 3; l++) {
    const len = body.length - 15 + l;
    if (encodeVarint(len).length === l) return [typeByte, ...encodeVarint(len), ...body];
  }
  throw new Error('record too long');
}

/** Decodes the records of `bytes` (one mtr, no terminator) into snapshots. */
export function decode(bytes: number[] | Uint8Array, pageSize = PS): PageRecord[] {
  const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  const r = new RecordReader({ pageSize });
  r.reset(b, 0, b.length, 1000n, 1000n + BigInt(b.length) + 5n);
  const out: PageRecord[] = [];
  while (r.next()) {
    out.push({
      type: r.type, subtype: r.subtype, spaceId: r.spaceId, pageNo: r.pageNo, bytes: r.bytes,
      recStart: r.recStart, recEnd: r.recEnd, offset: r.offset, length: r.length, source: r.source,
      dataStart: r.dataStart, dataEnd: r.dataEnd,
    });
  }
  return out;
}

export const initPageRec = (space: number, page: number): number[] => frame(0x10, [...v(space), ...v(page)]);
export const freePageRec = (space: number, page: number): number[] => frame(0x00, [...v(space), ...v(page)]);
export const extRec = (space: number, page: number, subtype: number, payload: number[]): number[] =>
  frame(EXTENDED, [...v(space), ...v(page), subtype, ...payload]);
export const writeRec = (space: number, page: number, offset: number, data: number[]): number[] =>
  frame(WRITE, [...v(space), ...v(page), ...v(offset), ...data]);
export const memsetRec = (space: number, page: number, offset: number, len: number, fill: number[]): number[] =>
  frame(MEMSET, [...v(space), ...v(page), ...v(offset), ...v(len), ...fill]);
/** MEMMOVE with a signed source distance (source - target), encoded as in 4.4. */
export const memmoveRec = (space: number, page: number, offset: number, len: number, dist: number): number[] =>
  frame(MEMMOVE, [...v(space), ...v(page), ...v(offset), ...v(len), ...v(dist > 0 ? (dist - 1) * 2 : (-dist - 1) * 2 + 1)]);

export const ctx = (lsn = 1000n): ApplyContext => ({ pageSize: PS, lsn, file: 'test.log' });

/** Applies every record of `bytes` to the page. */
export function apply(page: Uint8Array, bytes: number[], lsn = 1000n): void {
  for (const r of decode(bytes)) applyRecord(page, r, ctx(lsn));
}

export const u16 = (p: Uint8Array, o: number): number => (p[o]! << 8) | p[o + 1]!;

/** INSERT_HEAP_DYNAMIC / INSERT_REUSE_DYNAMIC payload for a record with header `hdr` (variable part) and `data`. */
export function insDynPayload(o: { prev: number; hdr: number[]; data: number[]; reuse?: boolean; shift?: number; hdrC?: number; dataC?: number; info?: number }): number[] {
  return [
    ...v(o.prev), ...(o.reuse ? v(o.shift ?? 0) : []), ...v((o.hdr.length << 3) | ((o.info ?? 0) >> 4)),
    ...v(o.hdrC ?? 0), ...v(o.dataC ?? 0), ...o.hdr, ...o.data.slice(o.dataC ?? 0),
  ];
}

/** A ROW_FORMAT=REDUNDANT record's literal header (1-byte field end offsets, highest field first) for fields of these lengths. */
export function redundantOffsets(lengths: number[]): number[] {
  const ends: number[] = [];
  let e = 0;
  for (const l of lengths) ends.push((e += l));
  return ends.reverse();
}

/** INSERT_HEAP_REDUNDANT / INSERT_REUSE_REDUNDANT payload, 1-byte offsets, hdr_c = data_c = 0. */
export function insRedPayload(prev: number, lengths: number[], data: number[]): number[] {
  const header = ((lengths.length - 1) << 3) | 4;
  return [...v(prev), ...v(header), ...v(0), ...v(0), ...redundantOffsets(lengths), ...data];
}

export interface PageShape {
  /** User record origins in key order. */
  records: number[];
  /** Directory slot record origins, slot 0 first. */
  slots: number[];
  /** n_owned of each slot owner. */
  owned: number[];
  /** Origins on the PAGE_FREE list. */
  free: number[];
}

/**
 * Validates an index page independently of the appliers and returns its
 * shape: the record list runs infimum -> supremum within the heap, owners are
 * exactly the slot records in order, owned counts add up (infimum 1, middle
 * slots 4..8, supremum 1..8), PAGE_N_RECS matches, heap numbers are distinct
 * and below PAGE_N_HEAP (free records included).
 */
export function validateIndexPage(p: Uint8Array, ps = PS): PageShape {
  const comp = (p[42]! & 0x80) !== 0;
  const inf = comp ? 99 : 101;
  const sup = comp ? 112 : 116;
  const next = (r: number) => {
    const x = u16(p, r - 2);
    return comp ? (x === 0 ? 0 : (r + x) & 0xffff) : x;
  };
  const owned = (r: number) => p[r - (comp ? 5 : 6)]! & 15;
  const heapNo = (r: number) => u16(p, r - (comp ? 4 : 5)) >> 3;
  const heapTop = u16(p, 40);
  const nHeap = u16(p, 42) & 0x7fff;
  const nSlots = u16(p, 38);
  const slots: number[] = [];
  for (let i = 0; i < nSlots; i++) slots.push(u16(p, ps - 10 - 2 * i));
  if (slots[0] !== inf || slots[nSlots - 1] !== sup) throw new Error(`bad first/last slot ${slots}`);
  const records: number[] = [];
  const ownedList: number[] = [];
  const heapSeen = new Set<number>([heapNo(inf), heapNo(sup)]);
  let count = 0;
  let slot = 0;
  for (let r = inf; ; r = next(r)) {
    if (r !== inf && r !== sup) {
      if (r < (comp ? 125 : 131) || r > heapTop) throw new Error(`record ${r} outside the heap`);
      records.push(r);
      if (records.length > 2000) throw new Error('cyclic list');
      const h = heapNo(r);
      if (h < 2 || h >= nHeap || heapSeen.has(h)) throw new Error(`bad heap_no ${h} at ${r}`);
      heapSeen.add(h);
    }
    count++;
    const n = owned(r);
    if (n !== 0) {
      if (slots[slot] !== r) throw new Error(`owner ${r} is not slot ${slot} (${slots[slot]})`);
      if (n !== count) throw new Error(`owner ${r} owns ${n}, counted ${count}`);
      const lo = slot === 0 || slot === nSlots - 1 ? 1 : 4;
      if (n < lo || n > 8 || (slot === 0 && n !== 1)) throw new Error(`slot ${slot} owns ${n}`);
      ownedList.push(n);
      slot++;
      count = 0;
    }
    if (r === sup) break;
  }
  if (slot !== nSlots) throw new Error(`${slot} owners for ${nSlots} slots`);
  if (records.length !== u16(p, 54)) throw new Error(`PAGE_N_RECS ${u16(p, 54)} but ${records.length} records`);
  const free: number[] = [];
  for (let f = u16(p, 44); f !== 0; ) {
    free.push(f);
    if (free.length > 2000) throw new Error('cyclic free list');
    const h = heapNo(f);
    if (heapSeen.has(h)) throw new Error(`free record ${f} reuses heap_no ${h}`);
    heapSeen.add(h);
    const x = u16(p, f - 2);
    f = x === 0 ? 0 : comp ? (f + x) & 0xffff : x;
  }
  if (heapSeen.size !== nHeap) throw new Error(`${heapSeen.size} heap numbers in use, PAGE_N_HEAP ${nHeap}`);
  return { records, slots, owned: ownedList, free };
}
