import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChecksumMismatchError, CorruptLogError, KnownMtrs, PageResetSink, linearSource, memoryFile, openCircularLog, readMtrBatches, type LogSource, type Lsn, type MtrBatch, type LogEnd } from '../src/index.js';
import { encodeMtr, linearLog, mtr, sampleMtrs } from './builder.js';

const testdata = join(import.meta.dirname, '..', '..', '..', '..', 'testdata');

/** Every mtr as `start-recordsEnd-end` (LSNs), then how the read ended. */
async function framing(log: LogSource, from: Lsn, known?: KnownMtrs, batchBytes = 1 << 16): Promise<string[]> {
  const out: string[] = [];
  for await (const b of readMtrBatches(log, from, { known, batchBytes })) {
    if (b.kind === 'end') {
      out.push(`end ${b.endLsn} ${b.reason}`);
      break;
    }
    for (let i = 0; i < b.count; i++) out.push(`${b.lsn + BigInt(b.starts[i]!)}-${b.lsn + BigInt(b.recordsEnds[i]!)}-${b.lsn + BigInt(b.ends[i]!)}`);
  }
  return out;
}

/** The boundaries a look-ahead would find: framing without CRC checks. */
async function lookAhead(log: LogSource, from: Lsn, batchBytes = 1 << 20): Promise<KnownMtrs> {
  const known = new KnownMtrs();
  for await (const b of readMtrBatches(log, from, { checksums: false, batchBytes })) {
    if (b.kind === 'end') break;
    known.add(Number(b.lsn), b.starts, b.ends, b.count);
  }
  return known;
}

for (const fixture of ['server-wrapped', 'backup']) {
  test(`${fixture}: framing with the boundaries found ahead gives the same mtrs and the same end`, async (t) => {
    const log = await openCircularLog(memoryFile('ib_logfile0', new Uint8Array(await readFile(join(testdata, fixture, 'ib_logfile0')))));
    const from = log.checkpoints.latest.checkpointLsn;
    const plain = await framing(log, from);
    t.true(plain.length > 100, `${plain.length} mtrs`);
    const known = await lookAhead(log, from);
    t.is(known.size, plain.length - 1);
    t.deepEqual(await framing(log, from, known), plain);
    t.is(known.size, 0, 'every boundary was taken');
  });
}

test('an mtr at a known boundary is checked by terminator and CRC only: its records are not walked', async (t) => {
  // Records whose first length nibble claims 15 bytes where 3 follow: a walk does not find this mtr.
  const odd = encodeMtr(new Uint8Array([0x3f, 0x05, 0x03, 0x40]), 1);
  const log = linearSource('seg', 1000n, new Uint8Array([...odd, ...linearLog(sampleMtrs(3))]));
  const walked = await framing(log, 1000n);
  t.true(walked[0]!.startsWith('end 1000 '), walked[0]);
  const known = new KnownMtrs();
  known.add(1000, Uint32Array.of(0), Uint32Array.of(odd.length), 1);
  const withKnown = await framing(log, 1000n, known);
  t.is(withKnown[0], `1000-${1000 + odd.length - 5}-${1000 + odd.length}`, 'taken as framed ahead (record decoding then rejects it)');
  t.is(withKnown.length, 5);
});

test('a wrong boundary, or bytes changed since the look-ahead, fall back to walking the records', async (t) => {
  const mtrs = sampleMtrs(40, 7);
  const bytes = linearLog(mtrs);
  const log = linearSource('seg', 5000n, bytes);
  const plain = await framing(log, 5000n);
  t.is(plain.length, 41);

  // Every boundary one byte short: none passes the check; framing is as without them.
  const short = await lookAhead(log, 5000n);
  const wrong = new KnownMtrs();
  const starts: number[] = [];
  const ends: number[] = [];
  for (const row of plain.slice(0, -1)) {
    const [s, , e] = row.split('-').map(Number) as [number, number, number];
    starts.push(s - 5000);
    ends.push(e - 5000 - 1);
  }
  wrong.add(5000, Uint32Array.from(starts), Uint32Array.from(ends), starts.length);
  t.deepEqual(await framing(log, 5000n, wrong), plain);
  t.true(short.size > 0);

  // A byte of the 10th mtr's records changed after the look-ahead: its CRC fails there, and the
  // walk reports the same corruption, with the same LSN, as a read without boundaries.
  const known = await lookAhead(log, 5000n);
  const changed = new Uint8Array(bytes);
  const tenth = Number(plain[9]!.split('-')[0]) - 5000;
  changed[tenth + 2]! ^= 0x40;
  const bad = linearSource('seg', 5000n, changed);
  const plainError = await t.throwsAsync(framing(bad, 5000n), { instanceOf: ChecksumMismatchError });
  const knownError = await t.throwsAsync(framing(bad, 5000n, known), { instanceOf: ChecksumMismatchError });
  t.is(knownError?.message, plainError?.message);
  t.is(knownError?.lsn, BigInt(5000 + tenth));
});

test('an mtr at a known boundary whose terminator is not the expected sequence bit is refused as without boundaries', async (t) => {
  const bytes = linearLog(sampleMtrs(5, 3));
  const log = linearSource('seg', 100n, bytes);
  const known = await lookAhead(log, 100n);
  const plain = await framing(log, 100n);
  // The third mtr's terminator set to 0 (its CRC does not cover it): corruption, valid log follows.
  const third = plain[2]!.split('-').map(Number) as [number, number, number];
  const changed = new Uint8Array(bytes);
  changed[third[1] - 100] = 0;
  const bad = linearSource('seg', 100n, changed);
  const expected = await t.throwsAsync(framing(bad, 100n), { instanceOf: CorruptLogError });
  t.is(expected?.lsn, BigInt(third[0]));
  const withKnown = await t.throwsAsync(framing(bad, 100n, known), { instanceOf: CorruptLogError });
  t.is(withKnown?.message, expected?.message);
  // As the last mtr, the same byte is the end of the log.
  const tail = new Uint8Array(bytes.subarray(0, third[2] - 100));
  tail[third[1] - 100] = 0;
  const ended = linearSource('seg', 100n, tail);
  t.deepEqual(await framing(ended, 100n, await lookAhead(log, 100n)), [plain[0], plain[1], `end ${third[0]} seqbit`]);
});

test('boundaries are consumed in LSN order; an earlier LSN finds none and many entries keep their order', (t) => {
  const k = new KnownMtrs();
  const n = 100_000;
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    starts[i] = i * 10;
    ends[i] = i * 10 + 7 + (i % 3);
  }
  // Added in steps, taken in between: compaction and growth must keep every entry.
  let taken = 0;
  for (let part = 0; part < 10; part++) {
    const a = part * (n / 10);
    k.add(0, starts.subarray(a, a + n / 10), ends.subarray(a, a + n / 10), n / 10);
    for (; taken < a + n / 20; taken++) t.is(k.lengthAt(taken * 10), 7 + (taken % 3));
  }
  t.is(k.lengthAt(5), 0, 'between boundaries');
  t.is(k.lengthAt(0), 0, 'behind what was consumed');
  for (; taken < n; taken++) if (k.lengthAt(taken * 10) !== 7 + (taken % 3)) break;
  t.is(taken, n);
  t.is(k.size, 1, 'the last one stays until framing passes it');
});

test('the known boundaries of a batch are not used without CRC checks or with a reset sink', async (t) => {
  const odd = encodeMtr(new Uint8Array([0x3f, 0x05, 0x03, 0x40]), 1);
  const log = linearSource('seg', 0n, new Uint8Array([...odd, ...linearLog([mtr().initPage(1, 2).records()])]));
  const known = () => {
    const k = new KnownMtrs();
    k.add(0, Uint32Array.of(0), Uint32Array.of(odd.length), 1);
    return k;
  };
  const first = async (options: Parameters<typeof readMtrBatches>[2]) => {
    const b = (await readMtrBatches(log, 0n, options).next()).value as MtrBatch | LogEnd;
    return b.kind === 'end' ? `end ${b.reason}` : `${b.count} ${b.ends[0]}`;
  };
  t.is(await first({ known: known() }), `2 ${odd.length}`);
  t.is(await first({ known: known(), checksums: false }), await first({ checksums: false }));
  t.is(await first({ known: known(), resets: new PageResetSink() }), await first({}));
});

test('beyond maxEntries the boundaries of a run are dropped, and taken again once framing consumed room', (t) => {
  const k = new KnownMtrs(1 << 14);
  const run = (from: number, n: number) => {
    const starts = new Uint32Array(n);
    const ends = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      starts[i] = (from + i) * 10;
      ends[i] = (from + i) * 10 + 8;
    }
    return k.add(0, starts, ends, n);
  };
  t.true(run(0, 10_000));
  t.false(run(10_000, 10_000), 'would hold 20 000');
  t.is(k.size, 10_000);
  t.is(k.lengthAt(9_999 * 10), 8);
  t.is(k.lengthAt(10_000 * 10), 0, 'dropped: walked instead');
  t.true(run(20_000, 16_000), 'the first run is consumed');
  t.is(k.lengthAt(25_000 * 10), 8);
});
