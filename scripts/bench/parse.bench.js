// Parser throughput on a real >= 270 MB redo log, next to raw CRC-32C speed of the same bytes.
// Framing + CRC (readMtrBatches) and framing + CRC + full record decode (RecordReader, EXTENDED
// payloads validated), from an in-memory copy of the log (no disk I/O in the timings).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchLog } from './parse-log.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { openCircularLog, memoryFile, readMtrBatches, RecordReader, EXTENDED, validateExtended, crc32cRange } = await import(
  join(root, 'packages/parser/dist/src/index.js')
);

const { file, firstLsn } = await benchLog(root);
const bytes = new Uint8Array(readFileSync(file));
const log = await openCircularLog(memoryFile('ib_logfile0', bytes));
const from = BigInt(firstLsn);

async function frame() {
  let mtrs = 0;
  let end;
  for await (const b of readMtrBatches(log, from)) {
    if (b.kind === 'end') end = b;
    else mtrs += b.count;
  }
  return { mtrs, records: 0, end };
}

function decodeBatch(r, b, extended) {
  let records = 0;
  const w = b.bytes;
  for (let i = 0; i < b.count; i++) {
    r.resetMtr(b, i);
    while (r.next()) {
      records++;
      if (extended && r.type === EXTENDED) validateExtended(r.subtype, w, r.dataStart, r.dataEnd);
    }
  }
  return records;
}

async function decode(extended) {
  const r = new RecordReader({ source: log });
  let mtrs = 0;
  let records = 0;
  let end;
  for await (const b of readMtrBatches(log, from)) {
    if (b.kind === 'end') {
      end = b;
      break;
    }
    records += decodeBatch(r, b, extended);
    mtrs += b.count;
  }
  return { mtrs, records, end };
}

/** Best of `runs` by wall time, with the CPU time of that run (the machine may be shared). */
async function best(fn, runs = 3) {
  let wall = Infinity;
  let cpu = Infinity;
  let res;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    res = await fn();
    const w = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, w);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
  }
  return { wall, cpu, res };
}

const f = await best(frame);
const n = Number(f.res.end.endLsn - from);
const c = await best(async () => crc32cRange(bytes, 12288, 12288 + n));
const d = await best(() => decode(false));
const x = await best(() => decode(true));
const mb = n / 1e6;
const line = (label, m) =>
  `${label.padEnd(46)} ${(mb / m.wall).toFixed(0).padStart(5)} MB/s  ${((c.wall / m.wall) * 100).toFixed(0).padStart(3)}% of raw CRC` +
  `   (CPU time: ${(mb / m.cpu).toFixed(0).padStart(5)} MB/s, ${((c.cpu / m.cpu) * 100).toFixed(0).padStart(3)}%)`;
console.log(`log: ${mb.toFixed(1)} MB of real redo (sysbench oltp_write_only), ${f.res.mtrs} mtrs, ${x.res.records} records, end '${f.res.end.reason}' at LSN ${f.res.end.endLsn}`);
console.log(line('raw CRC-32C of the same bytes', c));
console.log(line('framing + CRC (readMtrBatches)', f));
console.log(line('framing + CRC + records (RecordReader)', d));
console.log(line('... + EXTENDED payload fields (validateExtended)', x));
