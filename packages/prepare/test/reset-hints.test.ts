import test from 'ava';
import { ResetHints } from '../src/reset-hints.js';

function add(h: ResetHints, rows: Array<[number, number, number]>): void {
  for (const [s, p, lsn] of rows) h.add(s, p, lsn);
}

test('a record is void when its page is reset by a later mtr, not by the same or an earlier one', (t) => {
  const h = new ResetHints();
  add(h, [[5, 3, 1000], [5, 4, 500]]);
  t.true(h.voids(5, 3, 999));
  t.false(h.voids(5, 3, 1000), 'the reset mtr itself');
  t.false(h.voids(5, 4, 600), 'after the last reset known');
  t.false(h.voids(6, 3, 10), 'another space');
  add(h, [[5, 4, 2000]]);
  t.true(h.voids(5, 4, 600), 'a later chunk moves the last reset on');
  t.is(h.skipped, 2);
});

test('a page skipped is owed its reset until the planner decodes one; deleted spaces owe nothing', (t) => {
  const h = new ResetHints();
  add(h, [[5, 3, 1000], [7, 1, 1000], [8, 2, 1000]]);
  t.true(h.voids(5, 3, 10));
  t.true(h.voids(7, 1, 10));
  t.true(h.voids(8, 2, 10));
  t.is(h.unsettled(new Set()), 3);
  h.settle(5, 3);
  h.settle(9, 9);
  t.is(h.unsettled(new Set()), 2);
  t.is(h.unsettled(new Set([7])), 1);
  h.newPass();
  t.is(h.unsettled(new Set()), 0);
  t.is(h.skipped, 0);
});

test('hints for many pages grow the table', (t) => {
  const h = new ResetHints();
  const rows: Array<[number, number, number]> = [];
  for (let p = 0; p < 5000; p++) rows.push([1 + (p % 3), p, 100 + p]);
  add(h, rows);
  for (let p = 0; p < 5000; p++) t.true(h.voids(1 + (p % 3), p, 99 + p));
  t.is(h.unsettled(new Set()), 5000);
});
