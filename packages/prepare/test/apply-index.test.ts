import test from 'ava';
import { ApplyError } from '../src/apply/index.js';
import {
  PS, apply, extRec, hex, initPageRec, insDynPayload, insRedPayload, u16, v, validateIndexPage, writeRec,
} from './apply-helpers.js';

const DYN = 1;
const RED = 0;

function emptyPage(space: number, page: number, subtype: number): Uint8Array {
  const p = new Uint8Array(PS);
  apply(p, [...initPageRec(space, page), ...extRec(space, page, subtype, [])]);
  return p;
}

test('INIT_ROW_FORMAT_DYNAMIC creates the empty COMPACT page of 4.6.0', (t) => {
  const p = emptyPage(5, 3, DYN);
  t.is(u16(p, 24), 17855);
  t.deepEqual([...p.subarray(38, 64)], [0, 2, 0, 120, 0x80, 2, 0, 0, 0, 0, 0, 0, 0, 5, ...new Array(12).fill(0)]);
  t.deepEqual([...p.subarray(94, 120)], hex('01 00 02 00 0d 69 6e 66 69 6d 75 6d 00 01 00 0b 00 00 73 75 70 72 65 6d 75 6d'));
  t.deepEqual([u16(p, PS - 10), u16(p, PS - 12)], [99, 112]);
  t.true(p.subarray(120, PS - 12).every((b) => b === 0));
  t.deepEqual(validateIndexPage(p), { records: [], slots: [99, 112], owned: [1, 1], free: [] });
});

test('INIT_ROW_FORMAT_REDUNDANT keeps PAGE_LEVEL, index id and segment headers', (t) => {
  const p = new Uint8Array(PS);
  apply(p, initPageRec(6, 3));
  p.fill(0x77, 38, PS - 8);
  apply(p, extRec(6, 3, RED, []));
  t.deepEqual([...p.subarray(38, 64)], [0, 2, 0, 125, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5, ...new Array(12).fill(0)]);
  t.true(p.subarray(64, 94).every((b) => b === 0x77));
  t.deepEqual([...p.subarray(94, 125)], hex('08 01 00 00 03 00 74 69 6e 66 69 6d 75 6d 00 09 01 00 08 03 00 00 73 75 70 72 65 6d 75 6d 00'));
  t.true(p.subarray(125, PS - 12).every((b) => b === 0));
  t.deepEqual([u16(p, PS - 10), u16(p, PS - 12)], [101, 116]);
  t.deepEqual(validateIndexPage(p).slots, [101, 116]);
});

test('INSERT_HEAP_DYNAMIC worked example of 4.6.4 (first row of a DYNAMIC table)', (t) => {
  const p = emptyPage(5, 3, DYN);
  apply(p, hex('20 15 05 03 06 00 10 00 00 05 00 80 00 00 01 00 00 00 00 00 13 84 00 00 01 34 01 10 68 65 6c 6c 6f 80 00 00 0a'));
  // record start 120, origin 127, heap no 2, PAGE_HEAP_TOP 153, PAGE_N_HEAP 0x8003, infimum next 28, supremum n_owned 2
  t.deepEqual([...p.subarray(120, 127)], hex('05 00 00 00 10 ff f1'));
  t.deepEqual([...p.subarray(127, 131)], hex('80 00 00 01'));
  t.is(u16(p, 40), 153);
  t.is(u16(p, 42), 0x8003);
  t.is(u16(p, 97), 28);
  t.is(p[107]! & 15, 2);
  t.is(u16(p, 48), 127); // PAGE_LAST_INSERT
  t.is(u16(p, 54), 1); // PAGE_N_RECS
  t.deepEqual([p[51], u16(p, 52)], [5, 0]); // no direction after the first insert
  t.deepEqual(validateIndexPage(p).records, [127]);
  // The next row used prev = 0x1c and data_c = 3 (common prefix 80 00 00).
  const row2 = [0x80, 0, 0, 2, 0, 0, 0, 0, 0, 0x14, 0x85, 0, 0, 1, 0x35, 1, 0x10, 0x77, 0x6f, 0x72, 0x6c, 0x64, 0x80, 0, 0, 0x0b];
  apply(p, extRec(5, 3, 6, insDynPayload({ prev: 0x1c, hdr: [5, 0], data: row2, dataC: 3 })));
  t.deepEqual([...p.subarray(153 + 7, 153 + 7 + 26)], row2);
  t.deepEqual(validateIndexPage(p).records, [127, 160]);
  t.deepEqual([p[51], u16(p, 52)], [2, 1]); // PAGE_RIGHT, one step
  t.is(u16(p, 125), (160 - 127) & 0xffff);
});

test('INSERT_HEAP_REDUNDANT worked example of 4.6.4', (t) => {
  const p = emptyPage(6, 3, RED);
  apply(p, hex('20 12 06 03 04 00 1c 00 00 15 11 0a 04 80 00 00 01 00 00 00 00 00 1b 88 00 00 01 38 01 10 72 65 64 31'));
  t.deepEqual([...p.subarray(125, 135)], hex('15 11 0a 04 00 00 10 09 00 74'));
  t.deepEqual([...p.subarray(135, 139)], hex('80 00 00 01'));
  t.is(u16(p, 40), 135 + 21);
  t.is(u16(p, 42), 3);
  t.is(u16(p, 99), 135); // infimum next
  t.is(p[110]! & 15, 2); // supremum n_owned
  t.deepEqual(validateIndexPage(p).records, [135]);
});

/** Inserts n ascending DYNAMIC rows (id, 8-byte payload) after record `after`; returns their origins. */
function fillDynamic(p: Uint8Array, n: number, first = 1, after = 99): number[] {
  const origins: number[] = [];
  let prev = after - 99;
  for (let i = 0; i < n; i++) {
    const id = first + i;
    apply(p, extRec(5, 3, 6, insDynPayload({ prev, hdr: [], data: [0x80, 0, 0, id, 1, 2, 3, 4, 5, 6, 7, 8] })));
    const top = u16(p, 40);
    const origin = top - 12;
    origins.push(origin);
    prev = origin - 99;
  }
  return origins;
}

test('ascending inserts split the supremum slot at 9 owned records (4.6.6)', (t) => {
  const p = emptyPage(5, 3, DYN);
  const r = fillDynamic(p, 7);
  t.deepEqual(validateIndexPage(p).owned, [1, 8]);
  r.push(...fillDynamic(p, 1, 8, r[6]));
  const s = validateIndexPage(p);
  t.deepEqual(s.slots, [99, r[3]!, 112]);
  t.deepEqual(s.owned, [1, 4, 5]);
  t.is(u16(p, 38), 3);
  t.deepEqual([p[51], u16(p, 52)], [2, 7]);
  // 8 more: the supremum slot splits again.
  fillDynamic(p, 8, 9, r[7]);
  t.deepEqual(validateIndexPage(p).owned, [1, 4, 4, 4, 5]);
});

test('inserting into a middle slot splits that slot and shifts the directory', (t) => {
  const p = emptyPage(5, 3, DYN);
  const r = fillDynamic(p, 16);
  t.deepEqual(validateIndexPage(p).owned, [1, 4, 4, 4, 5]);
  // Insert 5 rows after r[1] (key order between ids 2 and 3): slot 1 (owner r[3]) grows to 8, then splits.
  let prev = r[1]! - 99;
  for (let i = 0; i < 5; i++) {
    apply(p, extRec(5, 3, 6, insDynPayload({ prev, hdr: [], data: [0x80, 0, 0, 2, 9, 9, 9, 9, 9, 9, 9, i] })));
    prev = u16(p, 40) - 12 - 99;
  }
  const s = validateIndexPage(p);
  t.is(s.records.length, 21);
  t.deepEqual(s.owned, [1, 4, 5, 4, 4, 5]);
  t.is(s.slots[2], r[3]);
  // the first of them was not next to PAGE_LAST_INSERT (no direction), the next four were to its right
  t.deepEqual([p[51], u16(p, 52)], [2, 4]);
});

/** DELETE_ROW_FORMAT_DYNAMIC payload for a row of fillDynamic (no variable header, 12 data bytes). */
const delDyn = (prevOrigin: number) => extRec(5, 3, 9, [...v(prevOrigin - 99), ...v(0), ...v(12)]);

test('delete of a non-top record puts it on PAGE_FREE; slot transfer and merge (4.6.9)', (t) => {
  const p = emptyPage(5, 3, DYN);
  const r = fillDynamic(p, 8); // slots: inf(1) r4(4) sup(5)
  const rec2 = r[1]!;
  apply(p, delDyn(r[0]!));
  let s = validateIndexPage(p);
  t.deepEqual(s.free, [rec2]);
  t.is(u16(p, 46), 17); // PAGE_GARBAGE = 5 + 12
  t.is(u16(p, 48), 0); // PAGE_LAST_INSERT reset
  t.true(p.subarray(rec2, rec2 + 12).every((b) => b === 0));
  t.is(u16(p, rec2 - 2), 0); // end of the free list
  // owner r4 dropped to 3 and the supremum slot (5) gave it one record: slot 1 -> r5.
  t.deepEqual(s.slots, [99, r[4]!, 112]);
  t.deepEqual(s.owned, [1, 4, 4]);
  // Another delete in slot 1: the supremum owns 4, so the slots merge.
  apply(p, delDyn(r[0]!));
  s = validateIndexPage(p);
  t.deepEqual(s.slots, [99, 112]);
  t.deepEqual(s.owned, [1, 7]);
  t.deepEqual(s.free, [r[2]!, rec2]);
  t.is(u16(p, r[2]! - 2), (rec2 - r[2]!) & 0xffff); // relative pointer to the older free record
  t.is(u16(p, PS - 14), 0); // the vacated slot is zeroed
});

test('delete of the top record shrinks the heap instead', (t) => {
  const p = emptyPage(5, 3, DYN);
  const r = fillDynamic(p, 3);
  const top = u16(p, 40);
  apply(p, delDyn(r[1]!));
  t.is(u16(p, 40), r[2]! - 5);
  t.is(u16(p, 42), 0x8004);
  t.true(p.subarray(r[2]! - 5, top).every((b) => b === 0));
  t.is(u16(p, 44), 0);
  t.is(u16(p, 46), 0);
  t.deepEqual(validateIndexPage(p).records, [r[0], r[1]]);
});

test('INSERT_REUSE_DYNAMIC takes the first PAGE_FREE record and its heap number', (t) => {
  const p = emptyPage(5, 3, DYN);
  const r = fillDynamic(p, 4);
  apply(p, delDyn(r[0]!)); // frees r[1] (heap 3)
  apply(p, delDyn(r[0]!)); // frees r[2] (heap 4); free list r[2] -> r[1]
  t.deepEqual(validateIndexPage(p).free, [r[2], r[1]]);
  const data = [0x80, 0, 0, 0x22, 8, 7, 6, 5, 4, 3, 2, 1];
  apply(p, extRec(5, 3, 7, insDynPayload({ prev: r[0]! - 99, reuse: true, shift: 0, hdr: [], data })));
  const s = validateIndexPage(p);
  t.deepEqual(s.records, [r[0], r[2], r[3]]);
  t.deepEqual(s.free, [r[1]]);
  t.is(u16(p, r[2]! - 4) >> 3, 4); // heap number of the reused record
  t.deepEqual([...p.subarray(r[2]!, r[2]! + 12)], data);
  t.is(u16(p, 46), 17);
  t.is(u16(p, 42), 0x8006); // PAGE_N_HEAP unchanged
});

test('REDUNDANT: inserts, split, delete to the free list, reuse', (t) => {
  const p = emptyPage(6, 3, RED);
  const lengths = [4, 6, 7, 2];
  const origins: number[] = [];
  let prev = 0;
  for (let i = 1; i <= 9; i++) {
    const data = [0x80, 0, 0, i, 0, 0, 0, 0, 0, 0x1b, 0x88, 0, 0, 1, 0x38, 1, 0x10, 0x72, i];
    apply(p, extRec(6, 3, 4, insRedPayload(prev, lengths, data)));
    const o = u16(p, 40) - 19;
    origins.push(o);
    prev = o - 101;
  }
  let s = validateIndexPage(p);
  t.deepEqual(s.owned, [1, 4, 6]);
  t.is(s.slots[1], origins[3]);
  // delete the 2nd record (prev = 1st): to PAGE_FREE with the absolute next pointer 0
  apply(p, extRec(6, 3, 8, v(origins[0]! - 101)));
  s = validateIndexPage(p);
  t.deepEqual(s.free, [origins[1]]);
  t.is(u16(p, 46), 10 + 19);
  t.deepEqual(s.owned, [1, 4, 5]); // transfer from the supremum slot
  // reuse it
  const data = [0x80, 0, 0, 0x42, 0, 0, 0, 0, 0, 0x1b, 0x88, 0, 0, 1, 0x38, 1, 0x10, 0x72, 0x42];
  apply(p, extRec(6, 3, 5, insRedPayload(origins[0]! - 101, lengths, data)));
  s = validateIndexPage(p);
  t.deepEqual(s.free, []);
  t.is(s.records[1], origins[1]);
  t.is(u16(p, 46), 0);
  t.deepEqual([...p.subarray(origins[1]!, origins[1]! + 19)], data);
});

test('consistency checks reject a corrupted page without modifying it', (t) => {
  const p = emptyPage(5, 3, DYN);
  fillDynamic(p, 2);
  const before = Uint8Array.from(p);
  // predecessor outside the heap
  t.throws(() => apply(p, extRec(5, 3, 6, insDynPayload({ prev: 4000, hdr: [], data: [1] })), 9n), {
    instanceOf: ApplyError,
    message: 'not applying INSERT_HEAP_DYNAMIC to page 5:3: predecessor 4099 outside the heap at LSN 9 (test.log)',
  });
  // not an index page
  const q = Uint8Array.from(p);
  apply(q, writeRec(5, 3, 24, [0, 2]));
  t.throws(() => apply(q, extRec(5, 3, 9, [...v(0), ...v(0), ...v(12)])), {
    message: 'not applying DELETE_ROW_FORMAT_DYNAMIC to page 5:3: not an index page (FIL_PAGE_TYPE 2) at LSN 1000 (test.log)',
  });
  // a broken owner chain: clear every n_owned
  const c = Uint8Array.from(p);
  c[107] = c[107]! & 0xf0;
  t.throws(() => apply(c, extRec(5, 3, 6, insDynPayload({ prev: 0, hdr: [], data: [1] }))), {
    message: /owner record not found within 8 steps|record list leaves the heap/,
  });
  // wrong page number in the header
  t.throws(() => apply(Uint8Array.from(p), extRec(5, 4, 6, insDynPayload({ prev: 0, hdr: [], data: [1] }))), {
    message: /page header holds page number 3/,
  });
  // REDUNDANT record on a COMPACT page
  t.throws(() => apply(Uint8Array.from(p), extRec(5, 3, 8, v(0))), { message: /page is not ROW_FORMAT=REDUNDANT/ });
  t.deepEqual(p, before);
});
