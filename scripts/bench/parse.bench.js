// Parser throughput on a real >= 270 MB redo log, next to raw CRC-32C speed of the same bytes.
// Framing + CRC (readMtrBatches) and framing + CRC + full record decode (RecordReader, EXTENDED
// payloads validated), from an in-memory copy of the log (no disk I/O in the timings).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchLog } from './parse-log.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const P = await import(join(root, 'packages/parser/dist/src/index.js'));

const { file, firstLsn } = await benchLog(root);
const bytes = new Uint8Array(readFileSync(file));
const log = await P.openCircularLog(P.memoryFile('ib_logfile0', bytes));
const from = BigInt(firstLsn);

async function frame() {
  let mtrs = 0;
  let end;
  for await (const b of P.readMtrBatches(log, from)) {
    if (b.kind === 'end') end = b;
    else mtrs += b.count;
  }
  return { mtrs, records: 0, end };
}

async function decode() {
  const r = new P.RecordReader({ source: log });
  let mtrs = 0;
  let records = 0;
  let end;
  for await (const b of P.readMtrBatches(log, from)) {
    if (b.kind === 'end') {
      end = b;
      break;
    }
    const { bytes: w, starts, recordsEnds, ends } = b;
    for (let i = 0; i < b.count; i++) {
      r.resetMtr(b, i);
      while (r.next()) {
        records++;
        if (r.type === P.EXTENDED) P.validateExtended(r.subtype, w, r.dataStart, r.dataEnd);
      }
    }
    mtrs += b.count;
  }
  return { mtrs, records, end };
}

async function best(fn, runs = 3) {
  let t = Infinity;
  let res;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    res = await fn();
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { t, res };
}

const f = await best(frame);
const n = Number(f.res.end.endLsn - from);
const data = bytes.subarray(12288, 12288 + n);
const c = await best(async () => P.crc32c(data));
const d = await best(decode);
const mb = n / 1e6;
const rate = (t) => (mb / t).toFixed(0).padStart(5) + ' MB/s';
console.log(`log: ${(mb).toFixed(1)} MB of real redo, ${f.res.mtrs} mtrs, ${d.res.records} records, end ${f.res.end.reason} at LSN ${f.res.end.endLsn}`);
console.log(`raw CRC-32C of the same bytes      ${rate(c.t)}`);
console.log(`framing + CRC (readMtrBatches)     ${rate(f.t)}  ${((c.t / f.t) * 100).toFixed(0)}% of raw CRC`);
console.log(`framing + CRC + record decode      ${rate(d.t)}  ${((c.t / d.t) * 100).toFixed(0)}% of raw CRC`);
