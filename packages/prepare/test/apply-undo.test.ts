import test from 'ava';
import { ApplyError } from '../src/apply/index.js';
import { PS, apply, extRec, hex, initPageRec, u16 } from './apply-helpers.js';

test('UNDO_INIT initialises the undo page header and keeps the segment header', (t) => {
  const p = new Uint8Array(PS);
  apply(p, initPageRec(2, 7));
  p.fill(0x33, 38, PS - 8);
  apply(p, extRec(2, 7, 2, []));
  t.is(u16(p, 24), 2);
  t.deepEqual([...p.subarray(38, 56)], hex('00 00 00 38 00 38 ff ff ff ff 00 00 ff ff ff ff 00 00'));
  t.true(p.subarray(56, 86).every((b) => b === 0x33));
  t.true(p.subarray(86, PS - 8).every((b) => b === 0));
  t.true(p.subarray(PS - 8).every((b) => b === 0));
});

test('UNDO_APPEND frames the record with the next free offset and its own start (4.6.2 example)', (t) => {
  const p = new Uint8Array(PS);
  apply(p, [...initPageRec(2, 7), ...extRec(2, 7, 2, [])]);
  // aa 03 0b 00 01 05 64 31 2f 74 31: same-page EXTENDED, UNDO_APPEND of 9 bytes
  apply(p, [...extRec(2, 7, 2, []), ...hex('aa 03 0b 00 01 05 64 31 2f 74 31')]);
  t.is(u16(p, 42), 56 + 13);
  t.deepEqual([...p.subarray(56, 69)], hex('00 45 0b 00 01 05 64 31 2f 74 31 00 38'));
  apply(p, extRec(2, 7, 3, [1, 2, 3]));
  t.is(u16(p, 42), 69 + 7);
  t.deepEqual([...p.subarray(69, 76)], hex('00 4c 01 02 03 00 45'));
});

test('UNDO_APPEND that does not fit is refused', (t) => {
  const p = new Uint8Array(PS);
  apply(p, [...initPageRec(2, 7), ...extRec(2, 7, 2, [])]);
  p[42] = (PS - 20) >> 8;
  p[43] = (PS - 20) & 0xff;
  t.throws(() => apply(p, extRec(2, 7, 3, [1, 2, 3, 4, 5, 6])), {
    instanceOf: ApplyError,
    message: 'not applying UNDO_APPEND to page 2:7: undo record of 6 bytes at 16364 does not fit the page at LSN 1000 (test.log)',
  });
  p[42] = 0;
  p[43] = 40;
  t.throws(() => apply(p, extRec(2, 7, 3, [1, 2, 3])), { message: /TRX_UNDO_PAGE_FREE 40 below 56/ });
});
