import test from 'ava';
import {
  ChecksumMismatchError,
  CorruptLogError,
  type LogEnd,
  type LogSource,
  linearSource,
  memoryFile,
  MtrScan,
  MtrStream,
  openCircularLog,
  readMtrBatches,
  scanMtr,
} from '../src/index.js';
import { circularLog, encodeMtr, linearLog, mtr, sampleMtrs } from './builder.js';
import { hex } from './hex.js';

// redo-format 3.4: the first mtr of a new log, LSN 44404.
const FIRST_MTR = hex('fa 00 00 00 00 00 00 00 00 ad 74 01 ad d4 e8 f9');
// redo-format 4.8: 68-byte mtr at LSN 44420.
export const MTR_44420 = hex(
  '39 00 2d 32 ff ff ff ff 00 00  b7 00 ff ff ff ff 00 00  34 00 2d 31 00  c3 16 04 ff  b3 8f 83 0d' +
    '47 00 80 73 aa b2 04 ff  34 00 00 3d 36  03 00 80 ad  35 00 00 80 d9 ae  48 00 80 73 aa 72 80 40 00' +
    '01 58 b8 1b ff',
);

test('scanMtr frames the real mtrs of redo-format 3.4 and 4.8', (t) => {
  const s = scanMtr(FIRST_MTR, 0, FIRST_MTR.length, 1);
  t.is(s.kind, 'mtr');
  t.is(s.recordsEnd, 11);
  t.is(s.end, 16);
  t.is(MTR_44420.length, 68);
  const s2 = scanMtr(MTR_44420, 0, 68, 1);
  t.is(s2.kind, 'mtr');
  t.is(s2.recordsEnd, 63);
  t.is(s2.end, 68);
});

test('scanMtr end reasons and need-more', (t) => {
  const out = new MtrScan();
  t.is(scanMtr(FIRST_MTR, 0, 15, 1, Infinity, out).kind, 'need-more');
  t.is(scanMtr(FIRST_MTR, 0, 5, 1, Infinity, out).kind, 'need-more');
  t.is(scanMtr(hex('00 35 00'), 0, 3, 1, Infinity, out).reason, 'zero');
  t.is(scanMtr(hex('01'), 0, 1, 1, Infinity, out).reason, 'zero');
  t.is(scanMtr(FIRST_MTR, 0, 16, 0, Infinity, out).reason, 'seqbit');
  // the terminator's own LSN decides: a flip just before T expects 0
  t.is(scanMtr(FIRST_MTR, 0, 16, 1, 11, out).reason, 'seqbit');
  t.is(scanMtr(FIRST_MTR, 0, 16, 0, 11, out).kind, 'mtr');
  const bad = FIRST_MTR.slice();
  bad[15] ^= 1;
  const s = scanMtr(bad, 0, 16, 1, Infinity, out);
  t.is(s.reason, 'checksum');
  t.is(s.storedCrc, 0xadd4e8f8);
  t.is(s.computedCrc, 0xadd4e8f9);
  // a length varint of 1 MiB, and an invalid varint
  t.is(scanMtr(hex('30 e0 0f ff f1 00'), 0, 6, 1, Infinity, out).reason, 'length');
  t.is(scanMtr(hex('30 f1 00 00 00 00'), 0, 6, 1, Infinity, out).reason, 'length');
});

async function drain(source: LogSource, from: bigint, batchBytes?: number) {
  const mtrs: bigint[] = [];
  let end: LogEnd | undefined;
  for await (const b of readMtrBatches(source, from, { batchBytes })) {
    if (b.kind === 'end') end = b;
    else for (let i = 0; i < b.count; i++) mtrs.push(b.lsn + BigInt(b.starts[i]!));
  }
  return { mtrs, end: end! };
}

test('readMtrBatches over a linear log ends with eof at the last byte', async (t) => {
  const recs = sampleMtrs(300);
  const bytes = linearLog(recs);
  const src = linearSource('seg', 1000n, bytes);
  const { mtrs, end } = await drain(src, 1000n, 4096);
  t.is(mtrs.length, 300);
  t.is(end.reason, 'eof');
  t.is(end.endLsn, 1000n + BigInt(bytes.length));
  const again = await drain(src, 1000n);
  t.deepEqual(again.mtrs, mtrs);
});

test('readMtrBatches stops at toLsn', async (t) => {
  const bytes = linearLog(sampleMtrs(50));
  const src = linearSource('seg', 0n, bytes);
  const all = await drain(src, 0n);
  const cut = all.mtrs[20]!;
  const got: bigint[] = [];
  let end: LogEnd | undefined;
  for await (const b of readMtrBatches(src, 0n, { toLsn: cut - 1n })) {
    if (b.kind === 'end') end = b;
    else for (let i = 0; i < b.count; i++) got.push(b.lsn + BigInt(b.starts[i]!));
  }
  t.deepEqual(got, all.mtrs.slice(0, 20));
  t.is(end!.reason, 'to-lsn');
  t.is(end!.endLsn, cut);
});

test('a bad CRC at the tail is the end of the log; mid-log it is corruption', async (t) => {
  const recs = sampleMtrs(40, 7);
  const bytes = linearLog(recs);
  const starts: number[] = [];
  let at = 0;
  for (const r of recs) {
    starts.push(at);
    at += r.length + 5;
  }
  const tail = bytes.slice();
  tail[tail.length - 2] ^= 0x10; // CRC of the last mtr
  const e = await drain(linearSource('seg', 5000n, tail), 5000n);
  t.is(e.mtrs.length, 39);
  t.is(e.end.reason, 'checksum');
  t.is(e.end.endLsn, 5000n + BigInt(starts[39]!));
  t.is(e.end.offset, starts[39]);

  const mid = bytes.slice();
  mid[starts[20]! + 3] ^= 0x40; // a data byte inside mtr 20
  const err = await t.throwsAsync(drain(linearSource('seg', 5000n, mid), 5000n, 4096), { instanceOf: ChecksumMismatchError });
  t.is(err.lsn, 5000n + BigInt(starts[20]!));
  t.regex(err.message, new RegExp(`^checksum mismatch in mtr at LSN ${5000 + starts[20]!} \\(seg, offset 0x${starts[20]!.toString(16)}\\): expected [0-9a-f]{8}, got [0-9a-f]{8}$`));

  const seq = bytes.slice();
  seq[starts[10]! + recs[10]!.length] = 0; // terminator of mtr 10
  const err2 = await t.throwsAsync(drain(linearSource('seg', 5000n, seq), 5000n), { instanceOf: CorruptLogError });
  t.regex(err2.message, /^sequence bit mismatch \(terminator 0 at LSN \d+\) in mtr followed by valid log at LSN \d+ \(seg, offset 0x[0-9a-f]+\)$/);
});

test('MtrStream decodes the same mtrs for any chunking', (t) => {
  const bytes = linearLog(sampleMtrs(120, 3));
  const reference: [bigint, number][] = [];
  {
    const s = new MtrStream(100n);
    s.push(bytes);
    for (let r = s.next(); r.kind === 'mtr'; r = s.next()) reference.push([r.lsn, r.end - r.start]);
  }
  t.is(reference.length, 120);
  for (let chunk = 1; chunk <= 997; chunk += chunk < 20 ? 1 : 37) {
    const s = new MtrStream(100n);
    const got: [bigint, number][] = [];
    for (let at = 0; at < bytes.length; at += chunk) {
      s.push(bytes.subarray(at, at + chunk));
      for (let r = s.next(); r.kind === 'mtr'; r = s.next()) {
        // the CRC covers the records in place: recompute against a fresh copy
        t.is(encodeMtr(r.bytes.slice(r.start, r.recordsEnd), 1).length, r.end - r.start);
        got.push([r.lsn, r.end - r.start]);
      }
    }
    t.deepEqual(got, reference, `chunk ${chunk}`);
    t.is(s.next().kind, 'need-more');
  }
});

test('MtrStream reports the end after the last mtr', (t) => {
  const bytes = linearLog([mtr().fileCheckpoint(44404n).records()]);
  const s = new MtrStream(44404n);
  s.push(bytes);
  s.push(Uint8Array.of(0, 0x35, 0));
  t.is(s.next().kind, 'mtr');
  const r = s.next();
  t.is(r.kind, 'end');
  t.is(r.reason, 'zero');
  t.is(s.nextLsn, 44420n);
});

test('circular log: any wrap point decodes the same mtrs and ends at the 0x00 byte', async (t) => {
  const recs = sampleMtrs(60, 11);
  const total = recs.reduce((n, r) => n + r.length + 5, 0);
  const capacity = total + 777;
  const firstLsn = 20000n;
  let reference: bigint[] | undefined;
  for (let shift = 0; shift < capacity; shift += shift < 64 ? 1 : 97) {
    for (const pass of [0n, 1n, 4n]) {
      const startLsn = firstLsn + pass * BigInt(capacity) + BigInt(shift);
      const { file, endLsn } = circularLog({ firstLsn, capacity, startLsn, records: recs });
      const log = await openCircularLog(memoryFile('ib_logfile0', file));
      t.is(log.checkpoints.latest.checkpointLsn, startLsn);
      const { mtrs, end } = await drain(log, startLsn, 1 << 12);
      const rel = mtrs.map((l) => l - startLsn);
      reference ??= rel;
      t.deepEqual(rel, reference, `shift ${shift} pass ${pass}`);
      t.is(end.endLsn, endLsn);
      t.is(end.reason, 'zero');
    }
  }
});

test('a backup-style log (terminators 1, no padding) ends by sequence bit after wrapping', async (t) => {
  const recs = sampleMtrs(30, 5);
  const body = linearLog(recs);
  const { file } = circularLog({ firstLsn: 70000n, capacity: body.length, startLsn: 70000n, records: [] });
  const full = new Uint8Array(12288 + body.length);
  full.set(file.subarray(0, 12288));
  full.set(body, 12288);
  const log = await openCircularLog(memoryFile('backup/ib_logfile0', full));
  const { mtrs, end } = await drain(log, 70000n);
  t.is(mtrs.length, 30);
  t.is(end.reason, 'seqbit');
  t.is(end.endLsn, 70000n + BigInt(body.length));
  t.is(end.offset, 12288);
});

test('a torn read (bad mtr then valid ones) is read again before it is called corruption', async (t) => {
  const recs = sampleMtrs(40, 9);
  const good = linearLog(recs);
  const torn = good.slice();
  torn[recs[0]!.length + 5 + 2] ^= 0xff; // inside mtr 1
  const base = linearSource('live', 0n, good);
  let reads = 0;
  const src: LogSource = {
    ...base,
    read: async (lsn, len) => {
      reads++;
      // the first two reads (the second starts at the bad mtr) see old bytes, the third the finished write
      return reads <= 2 ? torn.subarray(Number(lsn), Number(lsn) + len) : base.read(lsn, len);
    },
  };
  const { mtrs, end } = await drain(src, 0n);
  t.is(mtrs.length, 40);
  t.is(end.reason, 'eof');
  t.is(reads, 4);
  reads = -1000; // always torn: corruption
  await t.throwsAsync(drain(src, 0n), { instanceOf: ChecksumMismatchError });
});

test('MtrStream over a ring with the sequence bit of a CircularLog decodes across the pass boundary', async (t) => {
  const recs = sampleMtrs(50, 13);
  const total = recs.reduce((n, r) => n + r.length + 5, 0);
  const capacity = total + 300;
  for (const shift of [1, 97, Math.floor(total / 2), total - 3]) {
    const startLsn = 30000n + 2n * BigInt(capacity) + BigInt(capacity - shift);
    const { file, endLsn } = circularLog({ firstLsn: 30000n, capacity, startLsn, records: recs });
    const log = await openCircularLog(memoryFile('ib_logfile0', file));
    const window = await log.read(startLsn, capacity);
    for (const chunk of [1, 7, 64, 1000]) {
      const s = new MtrStream(startLsn, log);
      let n = 0;
      let last;
      for (let at = 0; at < window.length && last === undefined; at += chunk) {
        s.push(window.subarray(at, at + chunk));
        for (let r = s.next(); r.kind !== 'need-more'; r = s.next()) {
          if (r.kind === 'end') {
            last = r.reason;
            break;
          }
          n++;
        }
      }
      t.is(n, 50, `shift ${shift} chunk ${chunk}`);
      t.is(last, 'zero');
      t.is(s.nextLsn, endLsn);
    }
  }
});
