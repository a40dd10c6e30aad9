import test from 'ava';
import { mkdir, mkdtemp, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJournal, Journal, JOURNAL_FILES, readJournal, type JournalEntry } from '../src/journal.js';
import { PageStore } from '../src/page-store.js';
import { alignedBuffer, isAligned } from '../src/aligned-memory.js';
import type { TablespaceFile, TablespaceScan } from '../src/tablespaces.js';

/** Two journal files: flush groups overlap, and every complete journal is replayed after a kill. */

const PS = 4096;
const PAGES = 96;

async function tablespaceDir(t: { teardown(f: () => Promise<void>): void }): Promise<{ dir: string; scan: TablespaceScan }> {
  const dir = await mkdtemp(join(tmpdir(), 'ibarchive-journal2-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'db'));
  await writeFile(join(dir, 'db/t.ibd'), new Uint8Array(PAGES * PS).fill(0xee));
  const f: TablespaceFile = { path: 'db/t.ibd', source: 'db/t.ibd', spaceId: 7, flags: 0, fspSize: PAGES, fileBytes: PAGES * PS, kind: 'table' };
  return { dir, scan: { pageSize: PS, files: [f], byId: new Map([[7, f]]) } };
}

const image = (pageNo: number) => new Uint8Array(PS).fill((pageNo % 200) + 1);

test.serial('flush groups overlap, yet no page of a group is written in place before its journal is durable', async (t) => {
  const { dir, scan } = await tablespaceDir(t);
  const store = new PageStore(dir, PS, scan);
  const seen: string[] = [];
  // Every journal write is slowed down; meanwhile the group's pages must still read as before.
  const proto = Journal.prototype as unknown as { writeParts(parts: readonly Uint8Array[]): Promise<void> };
  const original = proto.writeParts;
  let journalsInFlight = 0;
  let overlapped = false;
  /** Journal files whose group is being written in place: not to be overwritten until it is durable. */
  const inPlaceFrom = new Set<string>();
  proto.writeParts = async function (this: Journal, parts: readonly Uint8Array[]) {
    if (inPlaceFrom.has(this.file)) seen.push(`${this.file} overwritten while its group was going in place`);
    journalsInFlight++;
    const pageNos: number[] = [];
    for (const e of decodeJournal(Buffer.concat(parts))!) pageNos.push(e.pageNo);
    await new Promise((r) => setTimeout(r, 25));
    const file = await readFile(join(dir, 'db/t.ibd'));
    for (const p of pageNos) if (file[p * PS] !== 0xee) seen.push(`page ${p} in place before its journal (${this.file}) was durable`);
    await original.call(this, parts);
    journalsInFlight--;
  };
  const inPlace = PageStore.prototype as unknown as { writeInPlace(...a: unknown[]): Promise<void> };
  const originalInPlace = inPlace.writeInPlace;
  inPlace.writeInPlace = async function (this: PageStore, ...a: unknown[]) {
    // Another group's journal being written while this group goes in place: the groups overlap.
    const file = (a[3] as Journal | undefined)?.file;
    if (file !== undefined) inPlaceFrom.add(file);
    try {
      await new Promise((r) => setTimeout(r, 10));
      if (journalsInFlight > 0) overlapped = true;
      // Slower than a journal write: the group after next must still wait for this one.
      await new Promise((r) => setTimeout(r, 30));
      return await originalInPlace.apply(this, a);
    } finally {
      if (file !== undefined) inPlaceFrom.delete(file);
    }
  };
  t.teardown(() => {
    proto.writeParts = original;
    inPlace.writeInPlace = originalInPlace;
  });
  for (let p = 0; p < PAGES; p++) {
    store.stage(7, p, image(p));
    if (p % 16 === 15) await store.startFlush();
  }
  await store.close();
  t.deepEqual(seen, []);
  t.true(overlapped, 'a journal was written while the previous group went in place');
  const file = await readFile(join(dir, 'db/t.ibd'));
  for (let p = 0; p < PAGES; p++) t.true(file.subarray(p * PS, (p + 1) * PS).equals(image(p)), `page ${p}`);
  // Both journal files were used, and both are voided once their groups are in place.
  for (const f of JOURNAL_FILES) t.is(decodeJournal(await readFile(join(dir, f))), undefined, f);
});

test.serial('readJournal replays every complete journal file and skips an incomplete one', async (t) => {
  const { dir } = await tablespaceDir(t);
  const group = (from: number, n: number): JournalEntry[] => Array.from({ length: n }, (_, i) => ({ path: 'db/t.ibd', pageNo: from + i, page: image(from + i) }));
  t.is(await readJournal(dir), undefined);
  const a = new Journal(dir, true, JOURNAL_FILES[0]);
  const b = new Journal(dir, true, JOURNAL_FILES[1]);
  await a.write(group(0, 5), PS);
  await b.write(group(40, 3), PS);
  await a.close();
  await b.close();
  const both = (await readJournal(dir))!.map((e) => e.pageNo);
  t.deepEqual(both.sort((x, y) => x - y), [0, 1, 2, 3, 4, 40, 41, 42]);
  // The second group torn (killed while its journal was written): its pages never went in place.
  const torn = await readFile(join(dir, JOURNAL_FILES[1]!));
  torn[200] ^= 0xff;
  await writeFile(join(dir, JOURNAL_FILES[1]!), torn);
  t.deepEqual((await readJournal(dir))!.map((e) => e.pageNo), [0, 1, 2, 3, 4]);
  // The first torn as well: nothing to replay.
  const first = await readFile(join(dir, JOURNAL_FILES[0]!));
  first[100] ^= 0xff;
  await writeFile(join(dir, JOURNAL_FILES[0]!), first);
  t.is(await readJournal(dir), undefined);
});

test('pages in aligned memory go in place with O_DIRECT, others buffered; a plain buffer is never taken for aligned', async (t) => {
  const arena = new Uint8Array(alignedBuffer(8 * PS, true));
  t.true(isAligned(arena.subarray(PS, 2 * PS)));
  t.false(isAligned(arena.subarray(512, 512 + PS)), 'an offset off the 4096-byte grid');
  t.false(isAligned(arena.subarray(0, 100)), 'a length off the grid');
  t.false(isAligned(new Uint8Array(new ArrayBuffer(8 * PS)).subarray(0, PS)), 'plain memory');
  const { dir, scan } = await tablespaceDir(t);
  const store = new PageStore(dir, PS, scan);
  // What goes through the O_DIRECT handle: [first page, pages].
  const direct: number[][] = [];
  const proto = PageStore.prototype as unknown as { directHandle(s: unknown): Promise<FileHandle | null> };
  const original = proto.directHandle;
  proto.directHandle = async function (this: PageStore, s: unknown) {
    const fh = await original.call(this, s);
    if (fh && !('spied' in fh)) {
      const writev = fh.writev.bind(fh);
      Object.assign(fh, { spied: true, writev: (bufs: Uint8Array[], pos: number) => (direct.push([pos / PS, bufs.length]), writev(bufs, pos)) });
    }
    return fh;
  };
  t.teardown(() => (proto.directHandle = original));
  // Pages 10-13 from aligned memory (one run), 20 and 21 from plain memory.
  for (let p = 10; p < 14; p++) store.stage(7, p, arena.subarray((p - 10) * PS, (p - 9) * PS).fill(p), false);
  for (const p of [20, 21]) store.stage(7, p, new Uint8Array(PS).fill(p), false);
  await store.close();
  t.deepEqual(direct, [[10, 4]]);
  const file = await readFile(join(dir, 'db/t.ibd'));
  for (let p = 0; p < PAGES; p++) t.true(file.subarray(p * PS, (p + 1) * PS).every((b) => b === ([10, 11, 12, 13, 20, 21].includes(p) ? p : 0xee)), `page ${p}`);
});
