// Parser throughput on a real >= 270 MB redo log, next to raw CRC-32C speed of the same bytes.
// Framing + CRC (readMtrBatches) and framing + CRC + full record decode (RecordReader, EXTENDED
// payloads validated), from an in-memory copy of the log (no disk I/O in the timings); the same
// with framing + CRC in a worker thread (readMtrBatches { worker: true }) while this thread decodes.
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

async function decode(extended, options = {}, source = log) {
  const r = new RecordReader({ source });
  let mtrs = 0;
  let records = 0;
  let end;
  for await (const b of readMtrBatches(source, from, options)) {
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
// The decoder cannot checksum the log in one call: each mtr has its own CRC-32C over its records.
// This is that work alone (same ranges, same function), without framing or decoding.
const windows = [];
for await (const b of readMtrBatches(log, from)) {
  if (b.kind === 'end') break;
  windows.push({ bytes: b.bytes, starts: b.starts.slice(0, b.count), ends: b.recordsEnds.slice(0, b.count) });
}
const p = await best(async () => {
  let x = 0;
  for (const w of windows) for (let i = 0; i < w.starts.length; i++) x ^= crc32cRange(w.bytes, w.starts[i], w.ends[i]);
  return x;
});
const d = await best(() => decode(false));
const x = await best(() => decode(true));
// Each batch is finished before the next is asked for, so window buffers can be reused.
const WORKER = { worker: true, reuseWindows: true };
const dw = await best(() => decode(false, WORKER));
const xw = await best(() => decode(true, WORKER));
const df = await best(() => decode(false, { worker: true }));
// The same log in a SharedArrayBuffer: windows are shared with the worker instead of copied to it.
const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
shared.set(bytes);
const sharedLog = await openCircularLog(memoryFile('ib_logfile0', shared));
const ds = await best(() => decode(false, WORKER, sharedLog));
for (const m of [dw, xw, df, ds]) {
  if (m.res.records !== x.res.records || m.res.end.endLsn !== f.res.end.endLsn || m.res.end.reason !== f.res.end.reason) {
    throw new Error(`the worker reader disagrees: ${m.res.records} records, end ${m.res.end.endLsn} ${m.res.end.reason}`);
  }
}
const mb = n / 1e6;
const pct = (base, m) => `${((base.wall / m.wall) * 100).toFixed(0).padStart(3)}%`;
const line = (label, m) =>
  `${label.padEnd(48)} ${(mb / m.wall).toFixed(0).padStart(5)} MB/s  ${pct(p, m)} of per-mtr CRC  ${pct(c, m)} of bulk CRC` +
  `   (CPU: ${(mb / m.cpu).toFixed(0).padStart(5)} MB/s)`;
console.log(`log: ${mb.toFixed(1)} MB of real redo (sysbench oltp_write_only), ${f.res.mtrs} mtrs, ${x.res.records} records, end '${f.res.end.reason}' at LSN ${f.res.end.endLsn}`);
console.log(line('raw CRC-32C, one call over all bytes (bulk)', c));
console.log(line('raw CRC-32C, one call per mtr (what a decoder must)', p));
console.log(line('framing + CRC (readMtrBatches)', f));
console.log(line('framing + CRC + records (RecordReader)', d));
console.log(line('... + EXTENDED payload fields (validateExtended)', x));
console.log(line('framing + CRC in a worker, records here (worker)', dw));
console.log(line('... + EXTENDED payload fields', xw));
console.log(line('worker, fresh memory per window (no reuseWindows)', df));
console.log(line('worker, log in a SharedArrayBuffer (no copy)', ds));
console.log('(CPU figures count both threads for the worker rows)');
