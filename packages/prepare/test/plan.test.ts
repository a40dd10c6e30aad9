import test from 'ava';
import { FREE_PAGE, INIT_PAGE, linearSource, readMtrBatches, recordName, type LogEnd, type MtrBatch } from '@ibarchive/parser';
import { Planner } from '../src/plan.js';
import { RecordStore } from '../src/record-store.js';

/** The subset of the parser's test redo builder used here (packages/parser/test/builder.ts). */
interface MtrBuilder {
  freePage(space: number, page: number): MtrBuilder;
  initPage(space: number, page: number): MtrBuilder;
  write(pid: readonly [number, number] | null, offset: number, data: ArrayLike<number>): MtrBuilder;
  extended(pid: readonly [number, number] | null, subtype: number, payload?: ArrayLike<number>): MtrBuilder;
  fileCreate(space: number, name: string): MtrBuilder;
  fileDelete(space: number, name: string): MtrBuilder;
  fileRename(space: number, from: string, to: string): MtrBuilder;
  fileModify(space: number, name: string): MtrBuilder;
  records(): Uint8Array;
}
const builder = (await import(new URL('../../../parser/dist/test/builder.js', import.meta.url).href)) as {
  mtr(): MtrBuilder;
  linearLog(records: Uint8Array[]): Uint8Array;
};
const { mtr, linearLog } = builder;

const FIRST = 100000n;

async function planOf(mtrs: MtrBuilder[], toLsn?: bigint, batchBytes = 4096): Promise<Planner> {
  const bytes = linearLog(mtrs.map((m) => m.records()));
  const src = linearSource('test.log', FIRST, bytes);
  const p = new Planner();
  for await (const item of readMtrBatches(src, FIRST, { batchBytes, toLsn })) {
    if ((item as LogEnd).kind === 'end') break;
    p.add(item as MtrBatch, 0, toLsn);
  }
  return p;
}

const name = (type: number, subtype: number) => (type === FREE_PAGE ? 'FREE_PAGE' : type === INIT_PAGE ? 'INIT_PAGE' : recordName(type, subtype));

test('records are grouped by page, page 0 first, in log order', async (t) => {
  const p = await planOf([
    mtr().write([5, 3], 100, [1, 2]).write([5, 0], 60, [9]),
    mtr().write([5, 3], 200, [3]).write([0, 7], 40, [4]),
  ]);
  const d = p.describe(name) as { spaces: Record<string, Record<string, string[]>>; mtrs: number };
  t.is(d.mtrs, 2);
  t.deepEqual(Object.keys(d.spaces), ['0', '5']);
  t.deepEqual(Object.keys(d.spaces['5']!), ['0', '3']);
  t.is(d.spaces['5']!['3']!.length, 2);
  t.is(p.pageCount(), 3);
});

test('INIT_PAGE and FREE_PAGE discard earlier records of the page, including those of the same mtr', async (t) => {
  const p = await planOf([
    mtr().write([7, 14], 100, [1]),
    mtr().write([7, 14], 120, [2]).freePage(7, 14),
    mtr().write([7, 15], 100, [1]),
    mtr().initPage(7, 15).write(null, 1, [0x45, 0xbf]),
  ]);
  const d = p.describe(name) as { spaces: Record<string, Record<string, string[]>> };
  t.deepEqual(d.spaces['7']!['14']!.map((x) => x.split('@')[0]), ['FREE_PAGE']);
  t.deepEqual(d.spaces['7']!['15']!.map((x) => x.split('@')[0]), ['INIT_PAGE', 'WRITE']);
  t.is(p.store.liveRecords(), 3);
});

test('FILE_DELETE drops every record of the space and is kept as a file operation', async (t) => {
  const p = await planOf([
    mtr().fileCreate(9, './d/t.ibd').initPage(9, 0),
    mtr().write([9, 3], 100, [1]).write([8, 3], 100, [1]),
    mtr().fileRename(9, './d/t.ibd', './d/u.ibd'),
    mtr().fileDelete(9, './d/u.ibd'),
  ]);
  t.deepEqual(p.spaceIds(), [8]);
  t.deepEqual(
    p.fileOps.map((o) => `${o.kind} ${o.spaceId} ${'newName' in o ? o.newName : 'name' in o ? o.name : ''}`),
    ['create 9 ./d/t.ibd', 'rename 9 ./d/u.ibd', 'delete 9 ./d/u.ibd'],
  );
  t.true(p.knowledge.deleted.has(9));
});

test('TRIM_PAGES drops the undo space records of earlier mtrs and keeps the rest of its own mtr', async (t) => {
  const p = await planOf([
    mtr().write([2, 5], 100, [1]),
    mtr().extended([2, 640], 10).initPage(2, 0).write(null, 22, [0, 0, 2, 0x80]),
  ]);
  t.deepEqual(p.store.spaces.get(2)!.map((i) => p.store.pageNo[i]), [0]);
  t.deepEqual(p.fileOps.map((o) => o.kind), ['trim']);
  t.is(p.knowledge.fspSize.get(2), 640);
});

test('FSP_SIZE and flags written on page 0 are tracked', async (t) => {
  const p = await planOf([mtr().initPage(5, 0).write(null, 22, [0, 0, 0, 4]).write(null, 4, [0, 0, 0, 0x15])]);
  t.is(p.knowledge.fspSize.get(5), 4);
  t.is(p.knowledge.fspFlags.get(5), 0x15);
});

test('toLsn takes exactly the mtrs that end at or before it', async (t) => {
  const m = [mtr().write([5, 3], 100, [1]), mtr().write([5, 3], 101, [2]), mtr().write([5, 3], 102, [3])];
  const all = await planOf(m);
  const ends: bigint[] = [];
  const s = all.store;
  for (let i = 0; i < s.mtrCount; i++) ends.push(BigInt(s.mtrEnd[i]!));
  const exact = await planOf(m, ends[1]);
  t.is(exact.mtrs, 2);
  t.is(exact.reachedLsn, ends[1]);
  const mid = await planOf(m, ends[1]! - 1n);
  t.is(mid.mtrs, 1);
  t.is(mid.reachedLsn, ends[0]);
});

test('the plan does not depend on how the log is cut into batches', async (t) => {
  const m = [];
  for (let i = 0; i < 200; i++) m.push(mtr().write([5, i % 17], 100 + (i % 50), [i & 255, 1, 2]).write([0, i % 5], 200, [i & 255]));
  const a = (await planOf(m, undefined, 4096)).describe(name);
  const b = (await planOf(m, undefined, 1 << 20)).describe(name);
  t.deepEqual(a, b);
});

test('a malformed record is reported at its own LSN', async (t) => {
  const good = mtr().write([5, 3], 100, [1]);
  const bad = mtr().write([5, 3], 2, [1]);
  const goodLen = BigInt(good.records().length + 5);
  const e = await t.throwsAsync(planOf([good, bad]));
  t.is((e as { lsn?: bigint }).lsn, FIRST + goodLen, e!.message);
});

test('an arena copy starts at the same offset mod 8 as its source (V8 copies into shared memory word by word only then)', (t) => {
  const store = new RecordStore(1024, new Uint8Array(new SharedArrayBuffer(1 << 16)), true);
  const log = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff);
  let expectDelta = 0;
  for (const [offset, from] of [[3, 5], [0, 1], [6, 0], [1, 7]] as const) {
    const bytes = log.subarray(offset, offset + 1000);
    const buf = store.addBuffer(bytes, from);
    const kept = store.buffers[buf]!;
    t.is((kept.byteOffset - (bytes.byteOffset + from)) & 7, 0, `source offset ${offset} + ${from}`);
    t.deepEqual([...kept], [...bytes.subarray(from)]);
    t.true(kept.byteOffset - store.arena!.byteOffset >= expectDelta, 'copies do not overlap');
    expectDelta = kept.byteOffset - store.arena!.byteOffset + kept.length;
  }
});
