import test from 'ava';
import { join } from 'node:path';
import { ExtendedSubtype, InputError } from '@ibarchive/parser';
import { ApplyError } from '../src/apply/index.js';
import { PageCache, PAGE_DEFERRED, PAGE_DONE } from '../src/page-cache.js';
import { PageLoader } from '../src/page-loader.js';
import { baseDir, FIRST, mtr, pass, PS } from './window-helpers.js';

test('pages beyond the memory for a pass are deferred to the next pass, pages done are not applied again', async (t) => {
  const dir = baseDir(t, 4);
  const log = [mtr().write([5, 1], 200, [11]), mtr().write([5, 2], 200, [22]), mtr().write([5, 3], 200, [33]), mtr().write([5, 1], 201, [12])];
  const cache = new PageCache(PS, 2);
  const a = await pass(dir, log, cache);
  t.is(cache.deferred, 1);
  t.is(cache.table.get(5, 3), PAGE_DEFERRED);
  t.is(a.applied, 3);
  const slot1 = cache.table.get(5, 1);
  t.deepEqual([cache.page(slot1)[100], cache.page(slot1)[200], cache.page(slot1)[201]], [2, 11, 12], 'page 1 read from disk, both writes applied');
  cache.endPass();
  t.is(cache.table.get(5, 1), PAGE_DONE);
  const b = await pass(dir, log, cache);
  t.is(b.applied, 1, 'only page 3');
  t.is(cache.deferred, 0);
  t.deepEqual([cache.page(cache.table.get(5, 3))[100], cache.page(cache.table.get(5, 3))[200]], [4, 33]);
});

test('a record that fails its checks is reported with its LSN after the pass, unless INIT_PAGE voids it in a later window', async (t) => {
  const dir = baseDir(t, 4);
  // An insert on a page that is no index page fails; INIT_PAGE in a later window makes it void.
  const bad = mtr().extended([5, 3], ExtendedSubtype.INSERT_HEAP_DYNAMIC, [0, 0x08, 0, 0, 1]);
  const voided = await pass(dir, [bad, mtr().write([5, 1], 300, [1]), mtr().write([5, 1], 301, [2]), mtr().initPage(5, 3)], new PageCache(PS, 8), true);
  t.notThrows(() => voided.throwIfBroken());

  const kept = await pass(dir, [mtr().write([5, 1], 300, [1]), bad, mtr().write([5, 3], 400, [7])], new PageCache(PS, 8), true);
  const e = t.throws(() => kept.throwIfBroken(), { instanceOf: ApplyError });
  t.is(e?.pageNo, 3);
  t.is(e?.lsn, FIRST + BigInt(mtr().write([5, 1], 300, [1]).records().length + 5), 'the LSN of the failing mtr');
});

test('FILE_DELETE voids the pages of the space held and deferred in the pass', async (t) => {
  const dir = baseDir(t, 4);
  const cache = new PageCache(PS, 1);
  await pass(dir, [mtr().write([5, 1], 200, [1]), mtr().write([5, 2], 200, [2]), mtr().fileDelete(5, './a.ibd')], cache, true);
  t.is(cache.deferred, 0, 'no pass is needed for a deleted space');
  t.deepEqual(cache.spaceIds(), []);
});

test('after TRIM_PAGES, pages at or beyond the new size read as zeros', async (t) => {
  const dir = baseDir(t, 4);
  const cache = new PageCache(PS, 8);
  // TRIM_PAGES to 2 pages: page 1 keeps its disk bytes, page 3 starts from zeros.
  await pass(dir, [mtr().write([5, 1], 200, [1]), mtr().extended([5, 2], ExtendedSubtype.TRIM_PAGES), mtr().write([5, 1], 201, [2]).write([5, 3], 200, [3])], cache, true);
  const p1 = cache.page(cache.table.get(5, 1));
  const p3 = cache.page(cache.table.get(5, 3));
  t.deepEqual([p1[100], p1[200], p1[201]], [2, 0, 2], 'page 1 re-read after the trim: the write before it is void');
  t.deepEqual([p3[100], p3[200]], [0, 3]);
});

test('a page that cannot be read is bad input naming the file and offset', (t) => {
  const dir = baseDir(t, 4);
  const loader = new PageLoader(dir, PS, () => 'missing.ibd');
  const e = t.throws(() => loader.load(5, 2, new Uint8Array(PS)), { instanceOf: InputError });
  t.regex(e!.message, /cannot read page 2 of tablespace 5 \(ENOENT\)/);
  t.is(e!.file, join(dir, 'missing.ibd'));
  t.is(e!.offset, 2 * PS);
});
