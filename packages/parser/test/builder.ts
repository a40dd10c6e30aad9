import { crc32c } from '../src/crc32c.js';
import { CHECKPOINT_1, CHECKPOINT_2, encodeCheckpointBlock, encodeLogHeader, START_OFFSET } from '../src/header.js';
import type { Lsn } from '../src/lsn.js';
import { encodeVarint } from '../src/varint.js';

/**
 * Test redo builder: emits valid records, mtrs (with CRC-32C and the right
 * terminator) and whole log files, linear or circular with the wrap at any
 * point. Page records take `[space, page]` or `null` for same_page.
 */
export type PageId = readonly [number, number] | null;

const enc = new TextEncoder();

function cat(parts: ArrayLike<number>[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One record: first byte `code` (type bits + same_page), body in the short or long length form. */
export function encodeRecord(code: number, body: Uint8Array, longForm = body.length > 15): Uint8Array {
  if (!longForm) {
    if (body.length < 1 || body.length > 15) throw new RangeError('short form needs 1..15 body bytes');
    return cat([[code | body.length], body]);
  }
  for (let l = 1; l <= 5; l++) {
    const v = body.length + l - 15;
    if (v >= 0 && encodeVarint(v).length === l) return cat([[code], encodeVarint(v), body]);
  }
  throw new RangeError('cannot encode record length');
}

/** Fluent builder of the records of one mtr. */
export class MtrBuilder {
  readonly parts: Uint8Array[] = [];

  private page(code: number, pid: PageId, payload: ArrayLike<number>[], longForm?: boolean): this {
    const head = pid === null ? [] : [encodeVarint(pid[0]), encodeVarint(pid[1])];
    this.parts.push(encodeRecord(code | (pid === null ? 0x80 : 0), cat([...head, ...payload]), longForm));
    return this;
  }

  freePage(space: number, page: number): this {
    return this.page(0x00, [space, page], []);
  }
  initPage(space: number, page: number): this {
    return this.page(0x10, [space, page], []);
  }
  /** WRITE with `offset` relative to the page cursor (4.3). */
  write(pid: PageId, offset: number, data: ArrayLike<number>, longForm?: boolean): this {
    return this.page(0x30, pid, [encodeVarint(offset), data], longForm);
  }
  memset(pid: PageId, offset: number, len: number, fill: ArrayLike<number>): this {
    return this.page(0x40, pid, [encodeVarint(offset), encodeVarint(len), fill]);
  }
  /** MEMMOVE with the encoded source delta `s` (even: +s/2+1, odd: -(s>>1)-1). */
  memmove(pid: PageId, offset: number, len: number, s: number): this {
    return this.page(0x50, pid, [encodeVarint(offset), encodeVarint(len), encodeVarint(s)]);
  }
  extended(pid: PageId, subtype: number, payload: ArrayLike<number> = []): this {
    return this.page(0x20, pid, [[subtype], payload]);
  }
  option(pid: PageId, payload: ArrayLike<number>): this {
    return this.page(0x70, pid, [payload]);
  }
  private file(code: number, space: number, name: ArrayLike<number>): this {
    this.parts.push(encodeRecord(code, cat([encodeVarint(space), [0], name]), 2 + name.length >= 15 ? true : undefined));
    return this;
  }
  fileCreate(space: number, name: string): this {
    return this.file(0x80, space, enc.encode(name));
  }
  fileDelete(space: number, name: string): this {
    return this.file(0x90, space, enc.encode(name));
  }
  fileRename(space: number, from: string, to: string): this {
    return this.file(0xa0, space, cat([enc.encode(from), [0], enc.encode(to)]));
  }
  fileModify(space: number, name: string): this {
    return this.file(0xb0, space, enc.encode(name));
  }
  fileCheckpoint(lsn: Lsn): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, lsn);
    this.parts.push(cat([[0xfa, 0, 0], b]));
    return this;
  }
  raw(bytes: ArrayLike<number>): this {
    this.parts.push(Uint8Array.from(bytes));
    return this;
  }
  /** The record bytes. */
  records(): Uint8Array {
    return cat(this.parts);
  }
}

export function mtr(): MtrBuilder {
  return new MtrBuilder();
}

/** records | T | CRC-32C(records). */
export function encodeMtr(records: Uint8Array, terminator: number): Uint8Array {
  const out = new Uint8Array(records.length + 5);
  out.set(records);
  out[records.length] = terminator;
  new DataView(out.buffer).setUint32(records.length + 1, crc32c(records));
  return out;
}

/** Linear log bytes of the given mtr records (terminators 1). */
export function linearLog(records: Uint8Array[]): Uint8Array {
  return cat(records.map((r) => encodeMtr(r, 1)));
}

/** A deterministic pseudo-random generator (xorshift32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** `n` varied valid mtrs (page writes, memsets, inserts, file records). */
export function sampleMtrs(n: number, seed = 1): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const space = 1 + Math.floor(r() * 5);
    const page = 3 + Math.floor(r() * 100);
    const m = mtr();
    if (i % 17 === 0) m.fileModify(space, `./db/t${space}.ibd`);
    const len = 1 + Math.floor(r() * (i % 5 === 0 ? 300 : 12));
    const data = Array.from({ length: len }, () => Math.floor(r() * 256));
    m.write([space, page], 8 + Math.floor(r() * 1000), data);
    if (i % 3 === 0) m.memset(null, 2, 4, [0xff]);
    if (i % 4 === 0) m.extended([space, page + 1], 3, [0x0b, 0x00, 0x01, 0x05]);
    if (i % 7 === 0) m.memmove(null, 0, 6, 11);
    out.push(m.records());
  }
  return out;
}

export interface CircularSpec {
  firstLsn: Lsn;
  capacity: number;
  /** LSN of the first mtr. */
  startLsn: Lsn;
  records: Uint8Array[];
  creator?: string;
  /** Checkpoint block 1 (default: startLsn, startLsn). */
  checkpoint?: { checkpointLsn: Lsn; endLsn: Lsn };
  /** Fill the previous pass with valid-looking mtrs of the opposite sequence bit (default true). */
  previousPass?: boolean;
}

/**
 * A circular ib_logfile0: header, checkpoint, mtrs written from startLsn with
 * terminators = sequence bit of their own LSN, then one 0x00 byte. Returns
 * the file and the LSN after the last mtr.
 */
export function circularLog(spec: CircularSpec): { file: Uint8Array; endLsn: Lsn } {
  const { firstLsn, capacity, startLsn } = spec;
  const file = new Uint8Array(START_OFFSET + capacity);
  file.set(encodeLogHeader({ firstLsn, creator: spec.creator ?? 'MariaDB 10.11.19' }), 0);
  const cp = spec.checkpoint ?? { checkpointLsn: startLsn, endLsn: startLsn };
  file.set(encodeCheckpointBlock(cp.checkpointLsn, cp.endLsn), CHECKPOINT_1);
  void CHECKPOINT_2;
  const cap = BigInt(capacity);
  const put = (lsn: Lsn, b: number) => {
    file[START_OFFSET + Number((lsn - firstLsn) % cap)] = b;
  };
  const seq = (lsn: Lsn) => (((lsn - firstLsn) / cap) % 2n === 0n ? 1 : 0);
  const writeMtr = (lsn: Lsn, records: Uint8Array): Lsn => {
    const m = encodeMtr(records, 0);
    const t = lsn + BigInt(records.length);
    m[records.length] = seq(t);
    for (let i = 0; i < m.length; i++) put(lsn + BigInt(i), m[i]!);
    return lsn + BigInt(m.length);
  };
  if (spec.previousPass !== false && startLsn - cap >= firstLsn) {
    const filler = sampleMtrs(64, 99);
    let lsn = startLsn - cap;
    for (let i = 0; lsn < startLsn; i++) lsn = writeMtr(lsn, filler[i % filler.length]!);
  }
  let lsn = startLsn;
  for (const r of spec.records) lsn = writeMtr(lsn, r);
  if (lsn - startLsn >= cap) throw new RangeError('records exceed the ring capacity');
  put(lsn, 0);
  return { file, endLsn: lsn };
}
