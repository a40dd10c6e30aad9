import test from 'ava';
import { PageTable } from '../src/page-table.js';

test('page table: dense and sparse page numbers, growth, per-space delete, clear', (t) => {
  const pt = new PageTable();
  t.is(pt.get(5, 0), -1);
  pt.set(5, 0, 0);
  pt.set(5, 1000, 1);
  pt.set(6, 3, 2);
  pt.set(5, 200000, 3); // grows space 5's array
  pt.set(5, 2 ** 22, 4); // beyond the dense limit
  pt.set(5, 2 ** 32 - 1, 5);
  t.deepEqual([pt.get(5, 0), pt.get(5, 1000), pt.get(6, 3), pt.get(5, 200000), pt.get(5, 2 ** 22), pt.get(5, 2 ** 32 - 1)], [0, 1, 2, 3, 4, 5]);
  t.deepEqual([pt.get(5, 3), pt.get(6, 0), pt.get(6, 1000), pt.get(7, 3), pt.get(5, 2 ** 22 + 1)], [-1, -1, -1, -1, -1]);
  pt.deleteSpace(5);
  t.deepEqual([pt.get(5, 0), pt.get(5, 1000), pt.get(5, 2 ** 22), pt.get(6, 3)], [-1, -1, -1, 2]);
  pt.set(5, 7, 9);
  t.is(pt.get(5, 7), 9);
  t.is(pt.get(5, 0), -1);
  pt.clear();
  t.deepEqual([pt.get(5, 7), pt.get(6, 3)], [-1, -1]);
});

test('page table agrees with a Map over random operations', (t) => {
  const pt = new PageTable();
  const ref = new Map<string, number>();
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 20000; i++) {
    const space = rnd(6);
    const page = rnd(10) === 0 ? 2 ** 22 + rnd(1000) : rnd(5000);
    const op = rnd(100);
    if (op < 50) {
      pt.set(space, page, i);
      ref.set(`${space}:${page}`, i);
    } else if (op < 99) {
      t.is(pt.get(space, page), ref.get(`${space}:${page}`) ?? -1);
    } else {
      pt.deleteSpace(space);
      for (const k of [...ref.keys()]) if (k.startsWith(`${space}:`)) ref.delete(k);
    }
  }
  for (const [k, v] of ref) {
    const [s, p] = k.split(':').map(Number);
    t.is(pt.get(s!, p!), v);
  }
});
