import test from 'ava';
import { CorruptLogError } from '@ibarchive/parser';
import { APPLIERS, ApplyError, applierFor, applyRecord } from '../src/apply/index.js';
import { PS, apply, ctx, decode, extRec, freePageRec, hex, initPageRec, memmoveRec, memsetRec, writeRec } from './apply-helpers.js';

const filled = (b: number) => new Uint8Array(PS).fill(b);

test('the applier table covers every page record type and EXTENDED subtype', (t) => {
  t.deepEqual(APPLIERS.filter((r) => r.subtype < 0).map((r) => r.name), ['FREE_PAGE', 'INIT_PAGE', 'WRITE', 'MEMSET', 'MEMMOVE', 'OPTION']);
  t.deepEqual(APPLIERS.filter((r) => r.subtype >= 0).map((r) => r.subtype).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.is(applierFor(0x20, 11), undefined);
  t.is(applierFor(0x60, -1), undefined);
});

test('INIT_PAGE zero-fills and sets page number, FIL_NULL siblings, space id', (t) => {
  const p = filled(0xaa);
  apply(p, initPageRec(5, 0x1234));
  const head = [0, 0, 0, 0, 0, 0, 0x12, 0x34, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  t.deepEqual([...p.subarray(0, 16)], head);
  t.deepEqual([...p.subarray(34, 38)], [0, 0, 0, 5]);
  t.true(p.subarray(16, 34).every((b) => b === 0));
  t.true(p.subarray(38).every((b) => b === 0));
});

test('FREE_PAGE leaves the page untouched', (t) => {
  const p = filled(0x5a);
  apply(p, freePageRec(5, 9));
  t.true(p.every((b) => b === 0x5a));
});

test('the real mtr of 4.8: WRITE and MEMSET records on page 0:45 with relative offsets', (t) => {
  // 39 00 2d 32 ff ff ff ff 00 00 | b7 00 ff ff ff ff 00 00 | 34 00 2d 31 00 | c3 16 04 ff | b3 8f 83 0d
  const p = new Uint8Array(PS);
  apply(p, hex('39 00 2d 32 ff ff ff ff 00 00 b7 00 ff ff ff ff 00 00 34 00 2d 31 00 c3 16 04 ff b3 8f 83 0d'));
  t.deepEqual([...p.subarray(49, 62)], hex('00 ff ff ff ff 00 00 ff ff ff ff 00 00'));
  t.deepEqual([...p.subarray(72, 76)], [0xff, 0xff, 0xff, 0xff]);
  t.is(p[4175], 0x0d);
  t.is(p.reduce((n, b) => n + (b !== 0 ? 1 : 0), 0), 8 + 4 + 1);
});

test('MEMSET with one- and multi-byte patterns', (t) => {
  const p = new Uint8Array(PS);
  apply(p, [...memsetRec(1, 7, 100, 5, [0xee]), ...memsetRec(1, 7, 200, 6, [1, 0x10])]);
  t.deepEqual([...p.subarray(99, 106)], [0, 0xee, 0xee, 0xee, 0xee, 0xee, 0]);
  t.deepEqual([...p.subarray(200, 207)], [1, 0x10, 1, 0x10, 1, 0x10, 0]);
  const e = t.throws(() => apply(p, memsetRec(1, 7, 300, 5, [1, 2]), 4794796n), { instanceOf: ApplyError });
  t.is(e?.message, 'not applying MEMSET to page 1:7: length 5 is not a multiple of the 2-byte fill pattern at LSN 4794796 (test.log)');
});

test('MEMMOVE is overlap-safe in both directions', (t) => {
  const p = new Uint8Array(PS);
  for (let i = 0; i < 16; i++) p[1000 + i] = i + 1;
  apply(p, memmoveRec(1, 7, 1004, 8, -4)); // source 1000 -> target 1004
  t.deepEqual([...p.subarray(1000, 1016)], [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 13, 14, 15, 16]);
  apply(p, memmoveRec(1, 7, 1000, 8, 2)); // source 1002 -> target 1000
  t.deepEqual([...p.subarray(1000, 1010)], [3, 4, 1, 2, 3, 4, 5, 6, 5, 6]);
});

test('WRITE past the page end is refused before touching the page', (t) => {
  const recs = decode(writeRec(1, 7, PS - 2, [1, 2, 3]), PS * 2);
  const p = new Uint8Array(PS);
  const e = t.throws(() => applyRecord(p, recs[0]!, ctx(77n)), { instanceOf: ApplyError });
  t.is(e?.message, 'not applying WRITE to page 1:7: 3 bytes at offset 16382 pass the page end 16384 at LSN 77 (test.log)');
  t.true(e instanceof CorruptLogError);
  t.is(e?.errorClass, 'corrupt');
  t.true(p.every((b) => b === 0));
});

test('EXTENDED records are refused on pages 0..2 and TRIM_PAGES is not a page change', (t) => {
  const p = new Uint8Array(PS);
  const onPage3 = decode(extRec(3, 3, 1, []))[0]!;
  t.throws(() => applyRecord(p, { ...onPage3, pageNo: 2 }, ctx()), {
    message: 'not applying INIT_ROW_FORMAT_DYNAMIC to page 3:2: EXTENDED records are invalid on pages 0, 1 and 2 at LSN 1000 (test.log)',
  });
  const trim = decode(hex('24 02 82 00 0a'))[0]!;
  t.throws(() => applyRecord(p, trim, ctx()), { instanceOf: ApplyError, message: /TRIM_PAGES changes the tablespace size/ });
});

test('OPTION records other than a page checksum are ignored; OPT_PAGE_CHECKSUM is verified', async (t) => {
  const { crc32c } = await import('@ibarchive/parser');
  const p = new Uint8Array(PS);
  apply(p, initPageRec(4, 9));
  apply(p, [0x75, 4, 9, 0x11, 0x22, 0x33]);
  const c = crc32c(p.subarray(34, PS - 8), crc32c(p.subarray(24, 26), crc32c(p.subarray(4, 16))));
  const opt = (crc: number) => [0x77, 4, 9, 0, (crc >>> 24) & 0xff, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff];
  t.notThrows(() => apply(p, opt(c)));
  t.throws(() => apply(p, opt(c ^ 1)), { instanceOf: ApplyError, message: /OPT_PAGE_CHECKSUM mismatch/ });
});
