import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ChecksumMismatchError,
  type LogSource,
  LogGapError,
  linearSource,
  memoryFile,
  openCircularLog,
  type ReadMtrOptions,
  readMtrBatches,
} from '../src/index.js';
import { circularLog, linearLog, mtr, rng, sampleMtrs } from './builder.js';
import { assertSameOutcome, outcome, readAll, WORKER_VARIANTS } from './read-outcome.js';

/**
 * readMtrBatches with `worker: true` against the single-thread reader: the
 * same mtrs (LSN, lengths, bytes), the same LogEnd, the same typed errors.
 * Batches may be cut differently (a mtr straddling two read windows is a batch
 * of its own), so results are compared mtr by mtr.
 */

const testdata = (p: string) => fileURLToPath(new URL(`../../../../testdata/${p}`, import.meta.url));

async function assertSame(t: import('ava').ExecutionContext, source: LogSource, from: bigint, options: ReadMtrOptions, what: string) {
  const want = await outcome(source, from, options);
  for (const v of WORKER_VARIANTS) {
    const got = await outcome(source, from, { ...options, ...v });
    assertSameOutcome(t, got, want, `${what} ${JSON.stringify(v)}`);
  }
  return want;
}

for (const fixture of ['server-wrapped', 'server-fresh', 'backup']) {
  test(`real ${fixture} log: the worker reads the same mtrs, bytes and end for any window size`, async (t) => {
    const bytes = new Uint8Array(readFileSync(testdata(`${fixture}/ib_logfile0`)));
    const log = await openCircularLog(memoryFile('ib_logfile0', bytes));
    const from = log.checkpoints.latest.checkpointLsn;
    const before = Buffer.from(bytes);
    let straddling = 0;
    for (const batchBytes of [undefined, 1 << 20, 65536, 4096]) {
      const want = await assertSame(t, log, from, { batchBytes }, `batchBytes ${batchBytes}`);
      if ('error' in want) return t.fail(want.message);
      t.true(want.mtrs.length > 10);
      t.is(want.afterEnd, 0);
      if (batchBytes === 4096) {
        // witness that mtrs straddle the worker's 4096-byte windows
        straddling = want.mtrs.filter(([l, , n]) => (l - from) / 4096n !== (l + BigInt(n) - 1n - from) / 4096n).length;
      }
    }
    t.true(straddling > 5, `${straddling} mtrs straddle 4096-byte windows`);
    t.true(before.equals(bytes), 'the log bytes were neither detached nor changed');
  });
}

test('real wrapped log: mtrs across the ring boundary (sequence bit flip) from any start', async (t) => {
  const bytes = new Uint8Array(readFileSync(testdata('server-wrapped/ib_logfile0')));
  const log = await openCircularLog(memoryFile('ib_logfile0', bytes));
  const full = await readAll(log, log.checkpoints.latest.checkpointLsn, { batchBytes: 4096 });
  const ring = BigInt(log.capacity);
  const crossing = full.mtrs.findIndex(([l]) => (l - log.firstLsn) / ring !== (full.end.endLsn - log.firstLsn) / ring);
  t.true(crossing >= 0, 'the log from its checkpoint crosses the pass boundary');
  for (const [i, batchBytes] of [[0, 4096], [crossing - 3, 4096], [crossing - 1, 8192], [crossing + 5, 65536]] as const) {
    await assertSame(t, log, full.mtrs[Math.max(0, i)]![0], { batchBytes }, `from mtr ${i}`);
  }
});

test('built circular logs: any wrap point and pass, tiny windows', async (t) => {
  const recs = sampleMtrs(80, 21);
  const total = recs.reduce((n, r) => n + r.length + 5, 0);
  const capacity = total + 501;
  const firstLsn = 20000n;
  for (let shift = 0; shift < capacity; shift += 389) {
    for (const pass of [0n, 3n]) {
      const startLsn = firstLsn + pass * BigInt(capacity) + BigInt(shift);
      const { file, endLsn } = circularLog({ firstLsn, capacity, startLsn, records: recs });
      const log = await openCircularLog(memoryFile('ib_logfile0', file));
      const want = await assertSame(t, log, startLsn, { batchBytes: 4096 }, `shift ${shift} pass ${pass}`);
      if ('error' in want) return t.fail(want.message);
      t.is(want.mtrs.length, 80);
      t.is(want.end.endLsn, endLsn);
      t.is(want.end.reason, 'zero');
    }
  }
});

test('mtrs longer than several windows are carried across them', async (t) => {
  const r = rng(77);
  const recs: Uint8Array[] = [];
  for (let i = 0; i < 30; i++) {
    const m = mtr();
    const n = i % 4 === 1 ? 9000 + Math.floor(r() * 30000) : 1 + Math.floor(r() * 40);
    for (let k = 0; k < Math.ceil(n / 8000); k++) m.write([5, 3 + i], 0, Array.from({ length: Math.min(8000, n) }, () => Math.floor(r() * 256)));
    recs.push(m.records());
  }
  const bytes = linearLog(recs);
  for (const batchBytes of [4096, 5000, 65536]) {
    const want = await assertSame(t, linearSource('seg', 900n, bytes), 900n, { batchBytes }, `batchBytes ${batchBytes}`);
    if ('error' in want) return t.fail(want.message);
    t.is(want.mtrs.length, 30);
    t.is(want.end.reason, 'eof');
    t.is(want.end.endLsn, 900n + BigInt(bytes.length));
  }
  // cut inside a long mtr: eof at its start
  const cut = bytes.subarray(0, bytes.length - 7000);
  const want = await assertSame(t, linearSource('seg', 900n, cut), 900n, { batchBytes: 4096 }, 'cut');
  if ('error' in want) return t.fail(want.message);
  t.is(want.end.reason, 'eof');
  t.true(want.mtrs.length < 30);
});

test('toLsn: before the start, at and inside mtrs, at and beyond the end', async (t) => {
  const recs = sampleMtrs(200, 8);
  const bytes = linearLog(recs);
  const src = linearSource('seg', 5000n, bytes);
  const starts: bigint[] = [];
  let at = 5000n;
  for (const r of recs) {
    starts.push(at);
    at += BigInt(r.length + 5);
  }
  const stops = [4000n, 5000n, starts[1]!, starts[77]! + 3n, starts[150]!, starts[199]!, at, at + 10n];
  for (const toLsn of stops) {
    for (const batchBytes of [4096, undefined]) {
      const want = await assertSame(t, src, 5000n, { toLsn, batchBytes }, `toLsn ${toLsn}`);
      if ('error' in want) return t.fail(want.message);
      // at the last byte there is no mtr to stop before: the log ends first
      t.is(want.end.reason, toLsn < at ? 'to-lsn' : 'eof');
    }
  }
});

test('a flipped byte anywhere in a built log: same end or same typed error (LSN, file, offset)', async (t) => {
  const recs = sampleMtrs(120, 4);
  const bytes = linearLog(recs);
  const seen = new Set<string>();
  for (let at = 7; at < bytes.length; at += Math.floor(bytes.length / 40)) {
    const bad = bytes.slice();
    bad[at] ^= 0x24;
    const want = await assertSame(t, linearSource('seg', 100n, bad), 100n, { batchBytes: 4096 }, `flip at ${at}`);
    seen.add('error' in want ? want.error : want.end.reason);
  }
  t.true(seen.has('ChecksumMismatchError'), [...seen].join());
});

test('a flipped byte in the real backup log: same end or same typed error (LSN, file, offset)', async (t) => {
  const original = new Uint8Array(readFileSync(testdata('backup/ib_logfile0')));
  const r = rng(99);
  const seen = new Map<string, number>();
  for (let k = 0; k < 24; k++) {
    const at = 12288 + Math.floor(r() * (original.length - 12288));
    const bytes = original.slice();
    bytes[at] = bytes[at]! ^ (1 + Math.floor(r() * 255));
    const log = await openCircularLog(memoryFile('ib_logfile0', bytes));
    const want = await assertSame(t, log, log.checkpoints.latest.checkpointLsn, { batchBytes: 1 << 18 }, `flip at ${at}`);
    const key = 'error' in want ? want.error : want.end.reason;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  t.true((seen.get('ChecksumMismatchError') ?? 0) > 5, JSON.stringify([...seen]));
});

test('a CRC error in the middle of the log names the same LSN and offset (ChecksumMismatchError)', async (t) => {
  const recs = sampleMtrs(60, 12);
  const bytes = linearLog(recs);
  const start = recs.slice(0, 41).reduce((n, r) => n + r.length + 5, 0);
  const bad = bytes.slice();
  bad[start + 2] ^= 0x40;
  for (const v of WORKER_VARIANTS) {
    const err = await t.throwsAsync(readAll(linearSource('seg', 7000n, bad), 7000n, { batchBytes: 4096, ...v }), { instanceOf: ChecksumMismatchError });
    t.is(err.lsn, 7000n + BigInt(start));
    t.is(err.file, 'seg');
    t.is(err.offset, start);
  }
});

test('a torn read is read again by the worker reader too; a lasting one is corruption', async (t) => {
  const recs = sampleMtrs(40, 9);
  const good = linearLog(recs);
  const torn = good.slice();
  const badLsn = BigInt(recs[0]!.length + 5 + recs[1]!.length + 5);
  torn[Number(badLsn) + 2] ^= 0xff;
  const base = linearSource('live', 0n, good);
  for (const options of [{}, ...WORKER_VARIANTS]) {
    let healed = false;
    let always = false;
    const src: LogSource = {
      ...base,
      read: async (lsn, len) => {
        // the first read that starts at the bad mtr still sees old bytes; the next one the finished write
        if (lsn === badLsn && !always) {
          const first = !healed;
          healed = true;
          if (!first) return base.read(lsn, len);
        }
        return healed && !always ? base.read(lsn, len) : torn.subarray(Number(lsn), Number(lsn) + len);
      },
    };
    const res = await readAll(src, 0n, { batchBytes: 4096, ...options });
    t.is(res.mtrs.length, 40, JSON.stringify(options));
    t.is(res.end.reason, 'eof');
    t.true(res.bytes.equals(good));
    always = true;
    await t.throwsAsync(readAll(src, 0n, { batchBytes: 4096, ...options }), { instanceOf: ChecksumMismatchError });
  }
});

test('a read that fails surfaces as the same typed error, after the same mtrs', async (t) => {
  const recs = sampleMtrs(200, 6);
  const bytes = linearLog(recs);
  const base = linearSource('arch', 0n, bytes);
  // the archive ends at an mtr boundary and reading at the boundary fails (a missing segment)
  const gapAt = BigInt(recs.slice(0, 90).reduce((n, r) => n + r.length + 5, 0));
  const src: LogSource = {
    ...base,
    read: async (lsn, len) => {
      if (lsn >= gapAt) throw new LogGapError('archive has no log', { lsn, file: 'arch' });
      return base.read(lsn, Math.min(len, Number(gapAt - lsn)));
    },
  };
  const want = await assertSame(t, src, 0n, { batchBytes: 4096 }, 'gap');
  t.like(want, { error: 'LogGapError', message: `archive has no log at LSN ${gapAt} (arch)` });
  // reads that reach a bad region fail wherever they start: the worker's read-ahead meets it first
  const failing: LogSource = {
    ...base,
    read: async (lsn, len) => {
      if (lsn + BigInt(len) > BigInt(bytes.length >> 1)) throw new LogGapError('unreadable', { file: 'arch' });
      return base.read(lsn, len);
    },
  };
  const single = await collectUntilError(failing, {});
  t.is(single.error, 'unreadable in arch');
  for (const v of WORKER_VARIANTS) {
    const got = await collectUntilError(failing, v);
    t.is(got.error, single.error);
    t.deepEqual(got.lsns, single.lsns.slice(0, got.lsns.length));
  }
});

async function collectUntilError(source: LogSource, options: ReadMtrOptions) {
  const lsns: bigint[] = [];
  try {
    for await (const b of readMtrBatches(source, 0n, { batchBytes: 4096, ...options })) {
      if (b.kind === 'batch') for (let i = 0; i < b.count; i++) lsns.push(b.lsn + BigInt(b.starts[i]!));
    }
  } catch (e) {
    if (!(e instanceof LogGapError)) throw e;
    return { lsns, error: e.message };
  }
  return { lsns, error: undefined };
}

test('ownedReads: whole arrays from the source are transferred, not copied; views are copied', async (t) => {
  const bytes = linearLog(sampleMtrs(300, 2));
  const base = linearSource('seg', 0n, bytes);
  const given: Uint8Array[] = [];
  const fresh: LogSource = { ...base, read: async (lsn, len) => { const a = (await base.read(lsn, len)).slice(); given.push(a); return a; } };
  const want = await readAll(base, 0n, { batchBytes: 4096 });
  const got = await readAll(fresh, 0n, { batchBytes: 4096, worker: true, ownedReads: true });
  assertSameOutcome(t, got, want, 'transferred');
  t.true(given.some((a) => a.byteLength === 0), 'some read arrays were transferred (detached here)');
  const views = await readAll(base, 0n, { batchBytes: 4096, worker: true, ownedReads: true });
  assertSameOutcome(t, views, want, 'copied');
  t.is(bytes.byteLength, linearLog(sampleMtrs(300, 2)).byteLength, 'the source array itself was not detached');
});

test('a source backed by a SharedArrayBuffer is shared with the worker, neither copied nor detached', async (t) => {
  const plain = linearLog(sampleMtrs(300, 12));
  const shared = new Uint8Array(new SharedArrayBuffer(plain.length));
  shared.set(plain);
  const want = await readAll(linearSource('seg', 0n, plain), 0n, { batchBytes: 4096 });
  for (const v of WORKER_VARIANTS) {
    const got = await readAll(linearSource('seg', 0n, shared), 0n, { batchBytes: 4096, ...v });
    assertSameOutcome(t, got, want, JSON.stringify(v));
  }
  let windows = 0;
  for await (const b of readMtrBatches(linearSource('seg', 0n, shared), 0n, { batchBytes: 4096, worker: true, reuseWindows: true })) {
    if (b.kind === 'batch' && b.count > 1) {
      windows++;
      t.true(b.bytes.buffer instanceof SharedArrayBuffer && b.bytes.byteOffset === Number(b.lsn), 'a view of the source memory');
      const at = b.bytes.byteOffset + b.starts[0]!;
      const old = shared[at]!;
      shared[at] = old ^ 0xff; // the same memory: seen through the batch
      t.is(b.bytes[b.starts[0]!], old ^ 0xff);
      shared[at] = old;
    }
  }
  t.true(windows > 3);
  t.is(shared.length, plain.length);
});
