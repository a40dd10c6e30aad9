import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IbarchiveError, memoryFile, openCircularLog, readMtrBatches, RecordReader, EXTENDED, validateExtended } from '../src/index.js';
import { rng } from './builder.js';

/**
 * Single flipped bytes in a real backup log (testdata/backup): decoding either
 * throws a typed error naming the spot, or stops at or before the mtr holding
 * the flip. It never crashes, loops, or accepts an mtr containing the flip.
 */
const LOG = fileURLToPath(new URL('../../../../testdata/backup/ib_logfile0', import.meta.url));

async function decode(bytes: Uint8Array) {
  const log = await openCircularLog(memoryFile('ib_logfile0', bytes));
  const r = new RecordReader({ source: log });
  const mtrs: [number, number][] = [];
  for await (const b of readMtrBatches(log, log.checkpoints.latest.checkpointLsn, { batchBytes: 1 << 20 })) {
    if (b.kind === 'end') return { mtrs, end: b };
    for (let i = 0; i < b.count; i++) {
      const off = log.locate(b.lsn + BigInt(b.starts[i]!)).offset;
      mtrs.push([off, off + b.ends[i]! - b.starts[i]!]);
      r.resetMtr(b, i);
      while (r.next()) if (r.type === EXTENDED) validateExtended(r.subtype, b.bytes, r.dataStart, r.dataEnd, r.position());
    }
  }
  throw new Error('no end');
}

test('flipped bytes in a real log are never decoded as valid', async (t) => {
  const original = new Uint8Array(readFileSync(LOG));
  const clean = await decode(original);
  t.is(clean.end.reason, 'seqbit');
  const r = rng(2024);
  const outcomes = { error: 0, end: 0 };
  for (let k = 0; k < 120; k++) {
    const at = 12288 + Math.floor(r() * (original.length - 12288));
    const bytes = original.slice();
    bytes[at] = bytes[at]! ^ (1 + Math.floor(r() * 255));
    try {
      const { mtrs } = await decode(bytes);
      outcomes.end++;
      const hit = mtrs.find(([s, e]) => s <= at && at < e);
      t.is(hit, undefined, `flip at 0x${at.toString(16)} was inside an accepted mtr`);
    } catch (e) {
      if (!(e instanceof IbarchiveError)) throw e;
      outcomes.error++;
      t.regex(e.message, / at LSN \d+ \(ib_logfile0, offset 0x[0-9a-f]+\)/);
    }
  }
  t.log(outcomes);
  t.true(outcomes.error > 60, 'most flips mid-log are reported as corruption');
});
