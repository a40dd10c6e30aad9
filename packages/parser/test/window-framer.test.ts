import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type LogSource, linearSource, memoryFile, openCircularLog } from '../src/index.js';
import { WindowFramer } from '../src/parallel/window-framer.js';
import { circularLog, linearLog, rng, sampleMtrs } from './builder.js';
import { readAll } from './read-outcome.js';

/**
 * The worker's half alone, in this thread: consecutive windows of any sizes
 * give every mtr the single-thread reader gives, and framing stops exactly
 * where that reader's log ends (so the single-thread reader that finishes
 * after it has nothing left to do but confirm the end).
 */

const testdata = (p: string) => fileURLToPath(new URL(`../../../../testdata/${p}`, import.meta.url));

async function frameInWindows(source: LogSource, from: bigint, sizes: () => number, toLsn?: bigint) {
  const framer = new WindowFramer(toLsn);
  const mtrs: [bigint, number, number][] = [];
  const parts: Buffer[] = [];
  let lsn = from;
  let straddlers = 0;
  for (;;) {
    const want = sizes();
    const bytes = (await source.read(lsn, want)).slice();
    const out = framer.push({ bytes, lsn, seqBit: source.seqBit(lsn), flip: source.seqFlipAfter(lsn), final: bytes.length < want });
    for (const b of out.batches) {
      if (b.bytes !== bytes) straddlers++;
      for (let i = 0; i < b.count; i++) {
        const s = b.starts[i]!;
        mtrs.push([b.lsn + BigInt(s), b.recordsEnds[i]! - s, b.ends[i]! - s]);
        parts.push(Buffer.from(b.bytes.subarray(s, b.ends[i]!)));
      }
    }
    lsn += BigInt(bytes.length);
    if (out.stop !== undefined) return { mtrs, bytes: Buffer.concat(parts), stop: out.stop, toLsnReached: out.toLsnReached, straddlers };
  }
}

for (const fixture of ['server-wrapped', 'backup']) {
  test(`real ${fixture} log: any window sizes frame every mtr and stop at the end of the log`, async (t) => {
    const log = await openCircularLog(memoryFile('ib_logfile0', new Uint8Array(readFileSync(testdata(`${fixture}/ib_logfile0`)))));
    const from = log.checkpoints.latest.checkpointLsn;
    const want = await readAll(log, from);
    t.true(want.end.reason === 'zero' || want.end.reason === 'seqbit');
    const r = rng(fixture.length);
    for (const sizes of [() => 4096, () => 1 + Math.floor(r() * 3000), () => 100 + Math.floor(r() * 200000)]) {
      const got = await frameInWindows(log, from, sizes);
      t.deepEqual(got.mtrs.map(String).join(), want.mtrs.map(String).join());
      t.true(got.bytes.equals(want.bytes));
      t.is(got.stop, want.end.endLsn);
      t.true(got.straddlers > 0);
    }
  });
}

test('built ring, the pass boundary inside a carried mtr: same mtrs, stop at the end', async (t) => {
  const recs = sampleMtrs(70, 31);
  const total = recs.reduce((n, r) => n + r.length + 5, 0);
  const capacity = total + 300;
  for (let shift = 1; shift < total; shift += 211) {
    const startLsn = 40000n + 2n * BigInt(capacity) + BigInt(capacity - shift);
    const { file, endLsn } = circularLog({ firstLsn: 40000n, capacity, startLsn, records: recs });
    const log = await openCircularLog(memoryFile('ib_logfile0', file));
    for (const w of [17, 64, 1000]) {
      const got = await frameInWindows(log, startLsn, () => w);
      t.is(got.mtrs.length, 70, `shift ${shift} window ${w}`);
      t.is(got.stop, endLsn);
    }
  }
});

test('toLsn and a short last window stop the framer where the single-thread reader ends', async (t) => {
  const recs = sampleMtrs(100, 3);
  const bytes = linearLog(recs);
  const src = linearSource('seg', 0n, bytes);
  const at = BigInt(recs.slice(0, 55).reduce((n, r) => n + r.length + 5, 0));
  const stopped = await frameInWindows(src, 0n, () => 333, at + 1n);
  t.is(stopped.mtrs.length, 56);
  t.true(stopped.toLsnReached);
  t.is(stopped.stop, at + BigInt(recs[55]!.length + 5));
  const all = await frameInWindows(src, 0n, () => 333);
  t.is(all.mtrs.length, 100);
  t.false(all.toLsnReached);
  t.is(all.stop, BigInt(bytes.length));
  const cut = await frameInWindows(linearSource('seg', 0n, bytes.subarray(0, Number(at) + 9)), 0n, () => 333);
  t.is(cut.mtrs.length, 55);
  t.is(cut.stop, at);
});

test('windows must follow each other', (t) => {
  const f = new WindowFramer(undefined);
  const bytes = linearLog(sampleMtrs(3, 1));
  f.push({ bytes: bytes.subarray(0, 10), lsn: 0n, seqBit: 1, flip: undefined, final: false });
  t.throws(() => f.push({ bytes, lsn: 11n, seqBit: 1, flip: undefined, final: false }), { message: 'window at LSN 11 does not follow the previous one (expected 10)' });
});
