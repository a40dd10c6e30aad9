import { ByteCursor } from '../cursor.js';
import { CorruptLogError, type LogPosition } from '../errors.js';
import type { Lsn } from '../lsn.js';
import type { MtrBatch } from '../mtr.js';
import type { LogSource } from '../source.js';
import { decodeVarint, varintLength } from '../varint.js';
import { decodeFileRecord } from './file-record.js';
import {
  EXTENDED,
  ExtendedSubtype,
  FILE_CREATE,
  FILE_RENAME,
  FREE_PAGE,
  INIT_PAGE,
  MEMMOVE,
  MEMSET,
  OPTION,
  type PageRecord,
  WRITE,
} from './types.js';

/**
 * Record decoding (redo-format.md 4.1-4.7). First byte: bit 7 same_page,
 * bits 6..4 type, bits 3..0 n (n > 0: n bytes follow; n = 0: a varint V
 * follows and the record is V + 16 bytes long). A page record without
 * same_page starts with varints space id and page number; with same_page it
 * targets the previous record's page. Before the first page record of an mtr,
 * same_page marks a file-level record (space id, page byte 0x00, names or
 * LSN). WRITE/MEMSET/MEMMOVE offsets are relative to a per-page cursor.
 *
 * Real mtr at LSN 44420 (section 4.8), first records:
 *
 *   39 00 2d 32 ff ff ff ff 00 00   WRITE page 0:45 offset 50, 6 bytes (cursor 56)
 *   b7 00 ff ff ff ff 00 00         WRITE same page +0 -> 56, 6 bytes   (cursor 62)
 *   34 00 2d 31 00                  WRITE page 0:45 again, offset 49 := 00
 *   c3 16 04 ff                     MEMSET same page +22 -> 72, len 4, fill ff
 */

/** Where a reader reports errors: the source's name and LSN -> file offset. */
export type RecordErrorContext = Pick<LogSource, 'name' | 'locate'>;

export interface RecordReaderOptions {
  /** Physical page size for offset checks (default 16384). */
  pageSize?: number;
  /** For error messages: file name and offset of a record's LSN. */
  source?: RecordErrorContext;
}

/** Cursor value after FREE_PAGE: no same-page WRITE/MEMSET/MEMMOVE may follow. */
const CURSOR_FREED = 1;
/** Cursor value after INIT_PAGE and EXTENDED: FIL_PAGE_TYPE. */
const CURSOR_INIT = 24;

const latin1 = new TextDecoder('latin1');

/**
 * Decodes the records of one mtr at a time; one reusable object per stream,
 * nothing allocated per record. After `reset()`, each `next()` that returns
 * true leaves the fields describing the current record. Malformed records
 * throw CorruptLogError with the record's LSN, file and offset.
 */
export class RecordReader implements PageRecord {
  type = 0;
  subtype = -1;
  spaceId = 0;
  pageNo = 0;
  bytes: Uint8Array = new Uint8Array(0);
  recStart = 0;
  recEnd = 0;
  offset = 0;
  length = 0;
  source = 0;
  dataStart = 0;
  dataEnd = 0;
  /** True if the record had the same_page flag (page records only). */
  samePage = false;
  /** FILE_CHECKPOINT: the checkpoint LSN. */
  checkpointLsn: Lsn = 0n;
  /** FILE_RENAME: start of the new name; the old name is [dataStart, newNameStart - 1). */
  newNameStart = 0;
  /** Index of the current mtr's first byte in `bytes`. */
  mtrStart = 0;
  /** LSN of bytes[baseIndex]; record and mtr LSNs are computed from it on demand. */
  private baseLsn: Lsn = 0n;
  private baseIndex = 0;
  private mtrEnd = 0;
  private givenEndLsn: Lsn | undefined;

  private readonly pageSize: number;
  private readonly context: RecordErrorContext | undefined;
  private readonly cur = new ByteCursor();
  private pos = 0;
  private recordsEnd = 0;
  private gotPage = false;
  private pageCursor = 0;

  constructor(options: RecordReaderOptions = {}) {
    this.pageSize = options.pageSize ?? 16384;
    this.context = options.source;
  }

  /** Positions the reader on the records [start, recordsEnd) of an mtr starting at `mtrLsn`. */
  reset(bytes: Uint8Array, start: number, recordsEnd: number, mtrLsn: Lsn, mtrEndLsn: Lsn): void {
    this.baseLsn = mtrLsn;
    this.baseIndex = start;
    this.givenEndLsn = mtrEndLsn;
    this.begin(bytes, start, recordsEnd, recordsEnd);
  }

  /**
   * Positions the reader on mtr `i` of a batch from readMtrBatches. Cheaper
   * than reset(): no bigint is made unless an LSN is asked for.
   */
  resetMtr(batch: MtrBatch, i: number): void {
    this.baseLsn = batch.lsn;
    this.baseIndex = 0;
    this.givenEndLsn = undefined;
    this.begin(batch.bytes, batch.starts[i]!, batch.recordsEnds[i]!, batch.ends[i]!);
  }

  private begin(bytes: Uint8Array, start: number, recordsEnd: number, end: number): void {
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.cur.reset(bytes, start, recordsEnd);
    }
    this.pos = start;
    this.mtrStart = start;
    this.recordsEnd = recordsEnd;
    this.mtrEnd = end;
    this.gotPage = false;
    this.pageCursor = 0;
  }

  /** LSN of the current mtr's first byte. */
  get mtrLsn(): Lsn {
    return this.baseLsn + BigInt(this.mtrStart - this.baseIndex);
  }

  /** LSN after the current mtr (its commit LSN). */
  get mtrEndLsn(): Lsn {
    return this.givenEndLsn ?? this.baseLsn + BigInt(this.mtrEnd - this.baseIndex);
  }

  /** LSN of the current record. */
  get lsn(): Lsn {
    return this.baseLsn + BigInt(this.recStart - this.baseIndex);
  }

  /** True if the current record is file-level (FILE_*, PADDING). */
  get isFileRecord(): boolean {
    return this.type >= FILE_CREATE;
  }

  /** FILE_* records: the (old) file name. */
  fileName(): string {
    const end = this.type === FILE_RENAME ? this.newNameStart - 1 : this.dataEnd;
    return latin1.decode(this.bytes.subarray(this.dataStart, end));
  }

  /** FILE_RENAME: the new file name. */
  newFileName(): string {
    return latin1.decode(this.bytes.subarray(this.newNameStart, this.dataEnd));
  }

  /**
   * Advances to the next record; false at the end of the mtr's records. One
   * flat function with 1-byte varints read inline: V8 then keeps the whole hot
   * path in one optimized body. Rare paths (errors, file records) are calls.
   */
  next(): boolean {
    const bytes = this.bytes;
    const p = this.pos;
    const recordsEnd = this.recordsEnd;
    if (p >= recordsEnd) return false;
    const b = bytes[p]!;
    this.recStart = p;
    let q = p + 1;
    let end: number;
    const n = b & 15;
    if (n !== 0) {
      end = q + n;
    } else {
      const vl = varintLength(bytes[q]!);
      const v = vl === 0 || q + vl > recordsEnd ? -1 : decodeVarint(bytes, q);
      if (v < 0) this.badLength(b);
      q += vl;
      end = p + 16 + v;
    }
    if (b <= 1 || end > recordsEnd) this.pastEnd(b);
    this.recEnd = end;
    this.pos = end;
    this.subtype = -1;
    this.offset = 0;
    this.length = 0;
    this.source = 0;
    const type = b & 0x70;
    if (b & 0x80) {
      if (!this.gotPage) {
        this.samePage = false;
        const bad = decodeFileRecord(this, this.bytes, b, q, end, this.recEnd === this.recordsEnd, this.cur);
        if (bad !== undefined) this.corrupt(bad);
        return true;
      }
      this.samePage = true;
      this.type = type;
      if (type === FREE_PAGE || type === INIT_PAGE) this.samePageFlag(type);
    } else {
      this.samePage = false;
      this.type = type;
      let space = bytes[q]!;
      if (space < 0x80 && q < end) q++;
      else {
        space = varintIn(bytes, q, end, 5);
        if (space < 0) this.corrupt('invalid space id');
        q += varintLength(bytes[q]!);
      }
      let page = bytes[q]!;
      if (page < 0x80 && q < end) q++;
      else {
        page = varintIn(bytes, q, end, 5);
        if (page < 0) this.corrupt('invalid page number');
        q += varintLength(bytes[q]!);
      }
      this.spaceId = space;
      this.pageNo = page;
      this.gotPage = true;
      this.pageCursor = 0;
    }
    const ps = this.pageSize;
    if (end - q > ps) this.corrupt('record longer than a page');
    if (type === WRITE || type === MEMSET || type === MEMMOVE) {
      const cursor = this.pageCursor;
      if (cursor === CURSOR_FREED) this.badWrite(type, 0, 0, 0);
      let off = bytes[q]!;
      if (off < 0x80 && q < end) q++;
      else {
        off = varintIn(bytes, q, end, 3);
        if (off < 0) this.badWrite(type, 1, 0, 0);
        q += varintLength(bytes[q]!);
      }
      const target = cursor + off;
      if (off >= ps || target < 8 || target >= ps) this.badWrite(type, 2, target, 0);
      this.offset = target;
      let length: number;
      if (type === WRITE) {
        this.dataStart = q;
        this.dataEnd = end;
        length = end - q;
        this.length = length;
        if (length < 1) this.corrupt('WRITE without data');
      } else {
        length = bytes[q]!;
        if (length < 0x80 && q < end) q++;
        else {
          length = varintIn(bytes, q, end, 3);
          if (length >= 0) q += varintLength(bytes[q]!);
        }
        if (length < 1) this.badWrite(type, 3, 0, 0);
        this.length = length;
        if (type === MEMSET) {
          this.dataStart = q;
          this.dataEnd = end;
          const pattern = end - q;
          if (pattern < 1 || pattern > length) this.corrupt(`MEMSET: fill pattern of ${pattern} bytes for length ${length}`);
        } else {
          this.memmove(q, end, target, length);
        }
      }
      if (target + length > ps) this.badWrite(type, 4, target, length);
      this.pageCursor = target + length;
      return true;
    }
    switch (type) {
      case FREE_PAGE:
      case INIT_PAGE:
        if (q !== end) this.corrupt(`trailing bytes in ${type === FREE_PAGE ? 'FREE_PAGE' : 'INIT_PAGE'}`);
        this.pageCursor = type === FREE_PAGE ? CURSOR_FREED : CURSOR_INIT;
        this.dataStart = this.dataEnd = end;
        return true;
      case EXTENDED:
        this.extended(q, end);
        return true;
      case OPTION:
        this.subtype = q < end ? bytes[q]! : -1;
        this.dataStart = end - q === 5 && this.subtype === 0 ? q + 1 : q;
        this.dataEnd = end;
        return true;
      default:
        this.corrupt('RESERVED (unknown) record type 0x60');
    }
  }

  /** MEMMOVE source field at [q, end), after target and length. */
  private memmove(q: number, end: number, target: number, len: number): void {
    const bytes = this.bytes;
    let s = bytes[q]!;
    if (s < 0x80 && q < end) q++;
    else {
      s = varintIn(bytes, q, end, 3);
      if (s < 0) this.corrupt('MEMMOVE: invalid source');
      q += varintLength(bytes[q]!);
    }
    if (q !== end) this.corrupt('MEMMOVE: trailing bytes');
    const src = s & 1 ? target - (s >>> 1) - 1 : target + (s >>> 1) + 1;
    if (src < 8 || src + len > this.pageSize) this.corrupt(`MEMMOVE: source ${src} length ${len} outside the page`);
    this.source = src;
    this.dataStart = this.dataEnd = end;
  }

  private badLength(b: number): never {
    this.corrupt(`invalid length in record 0x${b.toString(16)}`);
  }

  private pastEnd(b: number): never {
    this.corrupt(`record 0x${b.toString(16)} runs past the end of its mtr`);
  }

  private samePageFlag(type: number): never {
    this.corrupt(`same_page flag on ${type === FREE_PAGE ? 'FREE_PAGE' : 'INIT_PAGE'}`);
  }

  /** WRITE/MEMSET/MEMMOVE errors: 0 after FREE_PAGE, 1 offset, 2 target, 3 length, 4 past the page end. */
  private badWrite(type: number, what: number, target: number, length: number): never {
    const name = type === WRITE ? 'WRITE' : type === MEMSET ? 'MEMSET' : 'MEMMOVE';
    const ps = this.pageSize;
    if (what === 0) this.corrupt(`${name} after FREE_PAGE of the same page`);
    if (what === 1) this.corrupt(`${name}: invalid offset`);
    if (what === 2) this.corrupt(`${name}: target offset ${target} outside 8..${ps - 1}`);
    if (what === 3) this.corrupt(`${name}: invalid length`);
    this.corrupt(`${name}: ${length} bytes at ${target} pass the page end`);
  }

  private extended(q: number, end: number): void {
    if (q >= end) this.corrupt('EXTENDED record without subtype');
    const st = this.bytes[q]!;
    if (st > ExtendedSubtype.TRIM_PAGES) this.corrupt(`unknown EXTENDED subtype ${st}`);
    this.subtype = st;
    this.dataStart = q + 1;
    this.dataEnd = end;
    const payload = end - q - 1;
    switch (st) {
      case ExtendedSubtype.INIT_ROW_FORMAT_REDUNDANT:
      case ExtendedSubtype.INIT_ROW_FORMAT_DYNAMIC:
      case ExtendedSubtype.UNDO_INIT:
      case ExtendedSubtype.TRIM_PAGES:
        if (payload !== 0) this.corrupt(`EXTENDED subtype ${st} with ${payload} payload bytes`);
        break;
      case ExtendedSubtype.UNDO_APPEND:
        if (payload < 3) this.corrupt(`UNDO_APPEND of ${payload} bytes`);
        break;
      default:
        if (payload < 1) this.corrupt(`EXTENDED subtype ${st} without payload`);
    }
    if (st !== ExtendedSubtype.TRIM_PAGES && this.pageNo < 3) {
      this.corrupt(`EXTENDED subtype ${st} on page ${this.pageNo}`);
    }
    this.pageCursor = CURSOR_INIT;
  }

  /** LSN, file and offset of the current record, for errors raised by callers. */
  position(): LogPosition {
    const lsn = this.lsn;
    const where = this.context ? this.context.locate(lsn) : undefined;
    return { lsn, file: where?.file, offset: where?.offset };
  }

  private corrupt(what: string): never {
    throw new CorruptLogError(`corrupt record: ${what}`, this.position());
  }
}

/** Slow path of an inlined varint read (as ByteCursor.varint): the value at bytes[q] before `end`, or -1. */
function varintIn(bytes: Uint8Array, q: number, end: number, maxLength: number): number {
  const len = varintLength(bytes[q]!);
  if (len === 0 || len > maxLength || q + len > end) return -1;
  return decodeVarint(bytes, q);
}
