import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batchCrc, ChecksumMismatchError, crc32cRange, KnownMtrs, memoryFile, openCircularLog, readMtrBatches, type LogSource, type Lsn } from '../src/index.js';

/** The native batch check of mtr CRCs (native/crc32c_batch.c) against the per-mtr check in JavaScript. */

const testdata = join(import.meta.dirname, '..', '..', '..', '..', 'testdata');
const nativeVerify = batchCrc.verify;

async function fixture(name: string): Promise<{ log: LogSource; from: Lsn }> {
  const log = await openCircularLog(memoryFile('ib_logfile0', new Uint8Array(await readFile(join(testdata, name, 'ib_logfile0')))));
  return { log, from: log.checkpoints.latest.checkpointLsn };
}

/** Every mtr as `start-end`, with the boundaries a look-ahead found, then how the read ended. */
async function framing(log: LogSource, from: Lsn, known?: KnownMtrs): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const b of readMtrBatches(log, from, { known, batchBytes: 1 << 16 })) {
      if (b.kind === 'end') {
        out.push(`end ${b.endLsn} ${b.reason}`);
        break;
      }
      for (let i = 0; i < b.count; i++) out.push(`${b.lsn + BigInt(b.starts[i]!)}-${b.lsn + BigInt(b.ends[i]!)}`);
    }
  } catch (e) {
    out.push(`${(e as Error).name}: ${(e as Error).message}`);
  }
  return out;
}

async function lookAhead(log: LogSource, from: Lsn): Promise<KnownMtrs> {
  const known = new KnownMtrs();
  for await (const b of readMtrBatches(log, from, { checksums: false, batchBytes: 1 << 20 })) {
    if (b.kind === 'end') break;
    known.add(Number(b.lsn), b.starts, b.ends, b.count);
  }
  return known;
}

test.serial('the native batch check is built and loaded (scripts/setup builds it with the C compiler)', (t) => {
  t.is(typeof nativeVerify, 'function', 'packages/parser/native/build/ibcrc.node missing or failing its self-check: run npm run build');
});

test.serial('the batch check agrees with crc32cRange on every mtr of a real log, and stops at the first bad one', async (t) => {
  const verify = nativeVerify!;
  const { log, from } = await fixture('backup');
  let mtrs = 0;
  for await (const b of readMtrBatches(log, from, { batchBytes: 1 << 20 })) {
    if (b.kind === 'end') break;
    const bytes = b.bytes;
    t.is(verify(bytes, b.starts, b.ends, 0, b.count), b.count);
    for (let i = 0; i < b.count; i += 97) {
      const s = b.starts[i]!;
      const e = b.ends[i]!;
      t.is(crc32cRange(bytes, s, e - 5), new DataView(bytes.buffer, bytes.byteOffset).getUint32(e - 4));
      // One byte changed in mtr i: the batch stops there, and only there.
      const changed = bytes.slice();
      changed[s + ((i * 7) % (e - 5 - s))]! ^= 0x10;
      t.is(verify(changed, b.starts, b.ends, 0, b.count), i);
      t.is(verify(changed, b.starts, b.ends, i + 1, b.count), b.count);
    }
    // An end beyond the bytes, or a range too short to hold a terminator, fails.
    const ends = b.ends.slice();
    ends[3] = bytes.length + 1;
    t.is(verify(bytes, b.starts, ends, 0, b.count), 3);
    ends[3] = b.starts[3]! + 5;
    t.is(verify(bytes, b.starts, ends, 0, b.count), 3);
    mtrs += b.count;
  }
  t.true(mtrs > 100, `${mtrs} mtrs`);
  t.throws(() => verify(new Uint8Array(8), new Uint32Array(1) as never, Uint8Array.of(0) as never, 0, 1), { instanceOf: TypeError });
});

for (const name of ['server-wrapped', 'backup']) {
  test.serial(`${name}: framing with known boundaries is the same with the batch check and with the per-mtr check, intact and corrupt`, async (t) => {
    const { log, from } = await fixture(name);
    const plain = await framing(log, from);
    t.true(plain.length > 100);
    try {
      batchCrc.verify = nativeVerify;
      t.deepEqual(await framing(log, from, await lookAhead(log, from)), plain);
      batchCrc.verify = undefined;
      t.deepEqual(await framing(log, from, await lookAhead(log, from)), plain);
      // A byte changed in the middle of the log after the look-ahead: the same error either way.
      const whole = new Uint8Array(await readFile(join(testdata, name, 'ib_logfile0')));
      const mid = plain[Math.floor(plain.length / 2)]!.split('-').map(Number) as [number, number];
      const known = await lookAhead(log, from);
      const offset = log.locate(BigInt(mid[0]) + 3n).offset;
      whole[offset]! ^= 0x20;
      const bad = await openCircularLog(memoryFile('ib_logfile0', whole));
      const expected = await framing(bad, from);
      t.regex(expected[expected.length - 1]!, new RegExp(ChecksumMismatchError.name));
      batchCrc.verify = nativeVerify;
      t.deepEqual(await framing(bad, from, known), expected);
      batchCrc.verify = undefined;
      t.deepEqual(await framing(bad, from, await lookAhead(log, from)), expected);
    } finally {
      batchCrc.verify = nativeVerify;
    }
  });
}
