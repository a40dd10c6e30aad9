import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ExtendedSubtype, IbarchiveError } from '@ibarchive/parser';
import { ApplyError } from '../src/apply/index.js';
import { CacheSnapshot } from '../src/cache-snapshot.js';
import { PageCache } from '../src/page-cache.js';
import { SPILL_FILE, SpillFile } from '../src/spill-file.js';
import { baseDir, mtr, pass, PS, type MtrBuilder } from './window-helpers.js';

/** Every page a pass holds (in memory or spilled), as the writing thread reads them. */
function pagesOf(cache: PageCache, spill?: SpillFile): Map<string, { bytes: Buffer; lastEnd: number; state: number }> {
  const snap = new CacheSnapshot(cache.snapshot(), spill);
  const out = new Map<string, { bytes: Buffer; lastEnd: number; state: number }>();
  for (const id of snap.spaceIds()) {
    for (const i of snap.slotsInOrder(id)) {
      out.set(`${id}:${snap.pageNo[i]}`, { bytes: Buffer.from(snap.page(i)), lastEnd: snap.lastEnd[i]!, state: snap.state[i]! });
    }
  }
  return out;
}

/** Applies `log` window by window (one mtr each) with room for 2 pages and a spill file, and with room for all. */
async function spilledAndNot(t: { teardown(f: () => void): void }, log: MtrBuilder[]) {
  const dir = baseDir(t, 8);
  const path = join(dir, SPILL_FILE);
  const small = new PageCache(PS, 2, false, new SpillFile(path, PS));
  const big = new PageCache(PS, 64);
  const a = await pass(dir, log, small, true);
  const b = await pass(dir, log, big, true);
  return { small, big, a, b, path, reader: new SpillFile(path, PS, true) };
}

test('pages beyond memory go to the spill file and come back: the same pages as with room for all', async (t) => {
  const log = [
    mtr().write([5, 1], 200, [11]),
    mtr().write([5, 2], 200, [22]),
    mtr().write([5, 3], 200, [33]),
    // Page 1 was evicted with a change: read back from the spill file, not from disk.
    mtr().write([5, 1], 201, [12]),
    // Page 2, spilled, is reset: its image need not be read.
    mtr().initPage(5, 2).write(null, 300, [9]),
    mtr().write([5, 4], 200, [44]).write([5, 5], 200, [55]),
    mtr().write([5, 1], 202, [13]).write([5, 3], 201, [34]),
  ];
  const { small, big, a, b, path, reader } = await spilledAndNot(t, log);
  t.true(small.spills >= 3, `${small.spills} evictions`);
  t.true(existsSync(path));
  t.is(a.applied, b.applied);
  const spilled = pagesOf(small, reader);
  t.deepEqual([...spilled.keys()].sort(), ['5:1', '5:2', '5:3', '5:4', '5:5']);
  const p1 = spilled.get('5:1')!.bytes;
  t.deepEqual([p1[100], p1[200], p1[201], p1[202]], [2, 11, 12, 13]);
  t.deepEqual(spilled, pagesOf(big));
  reader.close();
});

test('with a spill file the result equals the one with room for every page, byte for byte', async (t) => {
  const log: MtrBuilder[] = [];
  for (let i = 0; i < 60; i++) log.push(mtr().write([5, (i * 5) % 7], 200 + (i % 40), [i]).write([5, (i * 3) % 7], 300 + (i % 20), [i, 1]));
  log.push(mtr().initPage(5, 6).write(null, 400, [1, 2, 3]));
  const dir = baseDir(t, 8);
  const small = new PageCache(PS, 2, false, new SpillFile(join(dir, SPILL_FILE), PS));
  const big = new PageCache(PS, 64);
  await pass(dir, log, small, true);
  await pass(dir, log, big, true);
  t.true(small.spills > 20, `${small.spills} evictions`);
  const reader = new SpillFile(join(dir, SPILL_FILE), PS, true);
  t.deepEqual(pagesOf(small, reader), pagesOf(big));
  reader.close();
});

test('a broken page keeps its failure through the spill file; FILE_DELETE forgets spilled pages', async (t) => {
  const bad = mtr().extended([5, 3], ExtendedSubtype.INSERT_HEAP_DYNAMIC, [0, 0x08, 0, 0, 1]);
  const { small, a } = await spilledAndNot(t, [bad, mtr().write([5, 1], 300, [1]), mtr().write([5, 2], 301, [2]), mtr().write([5, 4], 301, [2])]);
  t.true(small.spills >= 1);
  const e = t.throws(() => a.throwIfBroken(), { instanceOf: ApplyError });
  t.is(e?.pageNo, 3);

  const dropped = await spilledAndNot(t, [mtr().write([5, 1], 300, [1]), mtr().write([5, 2], 301, [2]), mtr().write([5, 4], 301, [2]), mtr().fileDelete(5, './a.ibd')]);
  t.true(dropped.small.spills >= 1);
  t.deepEqual(dropped.small.spaceIds(), []);
  t.is(pagesOf(dropped.small, dropped.reader).size, 0);
  dropped.reader.close();
});

test('a spill file that cannot be written or read back is an error naming the file and offset', (t) => {
  const w = t.throws(() => new SpillFile('/nonexistent-dir/.ibarchive-spill', PS).write(0, new Uint8Array(PS)), { instanceOf: IbarchiveError });
  t.regex(w!.message, /cannot open the scratch file for pages \(ENOENT\)/);
  t.is(w!.file, '/nonexistent-dir/.ibarchive-spill');
  const dir = baseDir(t, 1);
  const f = new SpillFile(join(dir, SPILL_FILE), PS);
  f.write(0, new Uint8Array(PS).fill(7));
  const r = t.throws(() => f.read(3, new Uint8Array(PS)), { instanceOf: IbarchiveError });
  t.regex(r!.message, /cannot read a page in the scratch file \(EOF\)/);
  t.is(r!.offset, 3 * PS);
  f.close();
});
