import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FREE_PAGE, INIT_PAGE, memoryFile, MtrScan, openCircularLog, PageResetSink, readMtrBatches, RecordReader } from '../src/index.js';
import { frameRun } from '../src/mtr.js';
import { encodeMtr, mtr } from './builder.js';

const testdata = join(import.meta.dirname, '..', '..', '..', '..', 'testdata');

/** `lsn space:page` of every FREE_PAGE / INIT_PAGE, found by framing with a sink (no CRC check) or by decoding every record. */
async function resetsOf(fixture: string, how: 'sink' | 'decode'): Promise<string[]> {
  const log = await openCircularLog(memoryFile('ib_logfile0', new Uint8Array(await readFile(join(testdata, fixture, 'ib_logfile0')))));
  const sink = new PageResetSink();
  const out: string[] = [];
  const reader = new RecordReader();
  const from = log.checkpoints.latest.checkpointLsn;
  for await (const b of readMtrBatches(log, from, how === 'sink' ? { checksums: false, resets: sink, batchBytes: 1 << 16 } : {})) {
    if (b.kind === 'end') break;
    if (how === 'sink') {
      for (let k = 0; k < sink.n; k++) out.push(`${b.lsn + BigInt(b.starts[sink.mtrs[k]!]!)} ${sink.spaces[k]}:${sink.pages[k]}`);
      continue;
    }
    for (let i = 0; i < b.count; i++) {
      const start = b.lsn + BigInt(b.starts[i]!);
      reader.reset(b.bytes, b.starts[i]!, b.recordsEnds[i]!, start, b.lsn + BigInt(b.ends[i]!));
      while (reader.next()) if ((reader.type === FREE_PAGE || reader.type === INIT_PAGE) && !reader.samePage) out.push(`${start} ${reader.spaceId}:${reader.pageNo}`);
    }
  }
  return out;
}

for (const fixture of ['server-wrapped', 'backup']) {
  test(`${fixture}: framing with a reset sink finds exactly the FREE_PAGE / INIT_PAGE records decoding finds`, async (t) => {
    const decoded = await resetsOf(fixture, 'decode');
    t.true(decoded.length > 50, `${decoded.length} resets`);
    t.deepEqual(await resetsOf(fixture, 'sink'), decoded);
  });
}

test('the resets of an mtr that fails framing are taken back', (t) => {
  const good = encodeMtr(mtr().initPage(5, 3).write([5, 3], 38, [1, 2]).records(), 1);
  const bad = encodeMtr(mtr().freePage(5, 4).initPage(6, 7).records(), 0);
  const bytes = new Uint8Array([...good, ...bad]);
  const sink = new PageResetSink();
  const run = frameRun(bytes, 0, 1, Infinity, Infinity, new MtrScan(), undefined, false, sink);
  t.is(run.count, 1);
  t.is(sink.n, 1);
  t.deepEqual([sink.spaces[0], sink.pages[0], sink.mtrs[0]], [5, 3, 0]);
});

test('without a CRC check, framing accepts an mtr whose CRC is wrong; with it, not', (t) => {
  const m = encodeMtr(mtr().initPage(1, 2).records(), 1);
  m[m.length - 1]! ^= 0xff;
  t.is(frameRun(m, 0, 1, Infinity, Infinity, new MtrScan(), undefined, false).count, 1);
  t.is(frameRun(m, 0, 1, Infinity, Infinity, new MtrScan()).count, 0);
});
