import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtendedSubtype, InputError, linearSource, readMtrBatches, type LogEnd, type MtrBatch } from '@ibarchive/parser';
import { ApplyError } from '../src/apply/index.js';
import { PageCache, PAGE_DEFERRED, PAGE_DONE } from '../src/page-cache.js';
import { PageLoader } from '../src/page-loader.js';
import { Planner, SpaceKnowledge } from '../src/plan.js';
import { WindowApplier } from '../src/window-apply.js';

/** The subset of the parser's test redo builder used here (packages/parser/test/builder.ts). */
interface MtrBuilder {
  initPage(space: number, page: number): MtrBuilder;
  write(pid: readonly [number, number] | null, offset: number, data: ArrayLike<number>): MtrBuilder;
  extended(pid: readonly [number, number] | null, subtype: number, payload?: ArrayLike<number>): MtrBuilder;
  fileDelete(space: number, name: string): MtrBuilder;
  records(): Uint8Array;
}
const { mtr, linearLog } = (await import(new URL('../../../parser/dist/test/builder.js', import.meta.url).href)) as {
  mtr(): MtrBuilder;
  linearLog(records: Uint8Array[]): Uint8Array;
};

const PS = 16384;
const FIRST = 100000n;

/** A directory with `a.ibd` (space 5) of `pages` pages whose byte 100 holds the page number + 1 and FIL_PAGE_LSN 0. */
function baseDir(t: { teardown(f: () => void): void }, pages: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'ibarchive-window-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = new Uint8Array(pages * PS);
  for (let p = 0; p < pages; p++) file[p * PS + 100] = p + 1;
  writeFileSync(join(dir, 'a.ibd'), file);
  return dir;
}

/** Runs one pass over the log; `perMtr`: every mtr is a window of its own (else one per read). */
async function pass(dir: string, mtrs: MtrBuilder[], cache: PageCache, perMtr = false) {
  const loader = new PageLoader(dir, PS, (id) => (id === 5 ? 'a.ibd' : undefined));
  const applier = new WindowApplier(cache, loader, { unknownSpaces: 'ignore' });
  const plan = new Planner(new SpaceKnowledge(), { pageSize: PS }, true, 1 << 19, (id, to) => applier.dropSpace(id, to));
  const src = linearSource('test.log', FIRST, linearLog(mtrs.map((m) => m.records())));
  for await (const item of readMtrBatches(src, FIRST, { batchBytes: 4096 })) {
    if ((item as LogEnd).kind === 'end') break;
    const b = item as MtrBatch;
    for (let i = 0; i < b.count; ) {
      i = plan.add(b, i, perMtr ? b.lsn + BigInt(b.ends[i]!) : undefined);
      applier.apply(plan.store);
      plan.nextWindow();
    }
  }
  loader.close();
  return applier;
}

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
