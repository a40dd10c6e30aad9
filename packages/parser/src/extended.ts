import { CorruptLogError, type LogPosition } from './errors.js';
import { EXTENDED_SUBTYPE_NAMES, ExtendedSubtype } from './records/types.js';
import { decodeVarint, varintLength } from './varint.js';

/**
 * EXTENDED record payloads (redo-format.md 4.6). The body of an EXTENDED page
 * record is one subtype byte followed by a subtype-specific payload; the
 * decoders here take the payload (`start..end`, after the subtype byte) and
 * fill a caller-owned, reusable field object, so decoding allocates nothing.
 *
 * Validation is that of MariaDB 10.11 `log_phys_t::apply()` (log0recv.cc):
 * each varint may be at most the stated number of bytes, every varint but the
 * last must leave at least one byte after it, and the sizes must account for
 * the payload exactly. The page-independent size checks of
 * `page_apply_insert_*()` (page0cur.cc) are done here as well. The server makes
 * these checks when it applies a record, so a violation is a corruption that
 * aborts recovery.
 *
 * Worked example (INSERT_HEAP_DYNAMIC, first row of a DYNAMIC table):
 * `20 15 05 03 06 00 10 00 00 05 00 80 00 00 01 ...` = EXTENDED with a 0x15+15
 * byte body, page 5:3, subtype 6, prev 0 (the infimum), enc_hdr_l 0x10
 * (2 header bytes, info bits 0), hdr_c 0, data_c 0, then 28 literal bytes
 * (`05 00` = header, then the 26 data bytes).
 */

/** Name of an EXTENDED subtype, or `EXTENDED(n)` for an unknown one. */
export function extendedSubtypeName(subtype: number): string {
  return EXTENDED_SUBTYPE_NAMES[subtype] ?? `EXTENDED(${subtype})`;
}

/** INSERT_HEAP_REDUNDANT (4) / INSERT_REUSE_REDUNDANT (5), 4.6.3. */
export interface InsertRedundantFields {
  /** Predecessor origin minus PAGE_OLD_INFIMUM (101); 0 = the infimum. */
  prev: number;
  /** Encoded header: `(n_fields - 1) << 3 | short_offsets << 2 | info_bits >> 4`. */
  header: number;
  /** Header bytes shared with the predecessor, not counting the 6 fixed bytes. */
  hdrC: number;
  /** Leading data bytes shared with the predecessor. */
  dataC: number;
  /** Literal bytes (header part, then data part) in the record's byte array. */
  dataStart: number;
  dataEnd: number;
}

/** INSERT_HEAP_DYNAMIC (6) / INSERT_REUSE_DYNAMIC (7), 4.6.4. */
export interface InsertDynamicFields {
  /** Predecessor origin minus PAGE_NEW_INFIMUM (99); 0 = the infimum. */
  prev: number;
  /** REUSE only (0 for HEAP): how far the record start moves from `PAGE_FREE - extra`; even = +shift/2, odd = -(shift/2). */
  shift: number;
  /** `hdr_l << 3 | instant_status (4) | info_bits >> 4`; hdr_l = literal header bytes. */
  encHdrL: number;
  /** Variable header bytes shared with the predecessor. */
  hdrC: number;
  /** Leading data bytes shared with the predecessor. */
  dataC: number;
  dataStart: number;
  dataEnd: number;
}

/** DELETE_ROW_FORMAT_REDUNDANT (8), 4.6.7. */
export interface DeleteRedundantFields {
  /** Predecessor origin minus PAGE_OLD_INFIMUM (101). */
  prev: number;
}

/** DELETE_ROW_FORMAT_DYNAMIC (9), 4.6.8. */
export interface DeleteDynamicFields {
  /** Predecessor origin minus PAGE_NEW_INFIMUM (99). */
  prev: number;
  /** Header bytes of the deleted record, not counting the 5 fixed bytes. */
  hdrSize: number;
  /** Data bytes of the deleted record. */
  dataSize: number;
}

/** UNDO_APPEND (3), 4.6.2: the undo record bytes. */
export interface UndoAppendFields {
  dataStart: number;
  dataEnd: number;
}

/** Fresh field objects, meant to be allocated once per reader/applier and reused. */
export const newInsertRedundantFields = (): InsertRedundantFields =>
  ({ prev: 0, header: 0, hdrC: 0, dataC: 0, dataStart: 0, dataEnd: 0 });
export const newInsertDynamicFields = (): InsertDynamicFields =>
  ({ prev: 0, shift: 0, encHdrL: 0, hdrC: 0, dataC: 0, dataStart: 0, dataEnd: 0 });
export const newDeleteRedundantFields = (): DeleteRedundantFields => ({ prev: 0 });
export const newDeleteDynamicFields = (): DeleteDynamicFields => ({ prev: 0, hdrSize: 0, dataSize: 0 });
export const newUndoAppendFields = (): UndoAppendFields => ({ dataStart: 0, dataEnd: 0 });

/** REC_MAX_N_FIELDS: most fields a ROW_FORMAT=REDUNDANT record can have. */
const REC_MAX_N_FIELDS = 1023;

function corrupt(subtype: number, problem: string, pos: LogPosition | undefined): never {
  throw new CorruptLogError(`corrupt ${extendedSubtypeName(subtype)} record: ${problem}`, pos);
}

/**
 * Walks the varints of one payload. `take(max, field, mayEnd)` checks the width
 * of the next varint (at most `max` bytes, and unless `mayEnd`, not the whole
 * rest of the payload) and returns its value.
 */
class PayloadWalker {
  bytes: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  subtype = 0;
  where: LogPosition | undefined = undefined;

  reset(subtype: number, bytes: Uint8Array, start: number, end: number, where: LogPosition | undefined): void {
    this.subtype = subtype;
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.where = where;
  }

  take(max: number, field: string, mayEnd: boolean): number {
    const rest = this.end - this.pos;
    if (rest <= 0) corrupt(this.subtype, `payload ends before ${field}`, this.where);
    const first = this.bytes[this.pos]!;
    // One-byte varints (most fields here) without the general decoder.
    if (first < 0x80 && (mayEnd || rest > 1)) {
      this.pos++;
      return first;
    }
    const len = varintLength(first);
    if (len === 0) corrupt(this.subtype, `${field} starts with invalid varint byte 0x${first.toString(16)}`, this.where);
    if (len > max) corrupt(this.subtype, `${field} varint is ${len} bytes (at most ${max} allowed)`, this.where);
    if (mayEnd ? len > rest : len >= rest) {
      corrupt(this.subtype, `${field} varint (${len} bytes) overruns the ${rest}-byte remainder`, this.where);
    }
    const v = decodeVarint(this.bytes, this.pos);
    this.pos += len;
    return v;
  }
}

const walker = new PayloadWalker();

/** Checks the payload of a subtype that has none (INIT_ROW_FORMAT_*, UNDO_INIT, TRIM_PAGES). */
export function checkEmptyPayload(subtype: number, start: number, end: number, pos?: LogPosition): void {
  if (end !== start) corrupt(subtype, `expected no payload after the subtype, found ${end - start} bytes`, pos);
}

/** UNDO_APPEND: the payload is the undo record; it must be at least 3 bytes (body > 3). */
export function decodeUndoAppend(
  bytes: Uint8Array, start: number, end: number, out: UndoAppendFields, pos?: LogPosition,
): UndoAppendFields {
  void bytes;
  if (end - start < 3) corrupt(ExtendedSubtype.UNDO_APPEND, `undo record of ${end - start} bytes (at least 3 required)`, pos);
  out.dataStart = start;
  out.dataEnd = end;
  return out;
}

/**
 * INSERT_HEAP_REDUNDANT / INSERT_REUSE_REDUNDANT: varints prev (<=3 bytes),
 * header (<=2), hdr_c (<=2), data_c (<=2), then the literal bytes.
 */
export function decodeInsertRedundant(
  subtype: number, bytes: Uint8Array, start: number, end: number, out: InsertRedundantFields, pos?: LogPosition,
): InsertRedundantFields {
  if (end <= start) corrupt(subtype, 'empty payload', pos);
  const w = walker;
  w.reset(subtype, bytes, start, end, pos);
  out.prev = w.take(3, 'prev', false);
  out.header = w.take(2, 'header', false);
  out.hdrC = w.take(2, 'hdr_c', false);
  out.dataC = w.take(2, 'data_c', true);
  out.dataStart = w.pos;
  out.dataEnd = end;
  const nFields = (out.header >> 3) + 1;
  if (nFields > REC_MAX_N_FIELDS) corrupt(subtype, `${nFields} fields (at most ${REC_MAX_N_FIELDS})`, pos);
  const extra = 6 + ((out.header & 4) !== 0 ? nFields : 2 * nFields);
  const hc = out.hdrC + 6;
  if (hc > extra) corrupt(subtype, `hdr_c ${out.hdrC} exceeds the ${extra}-byte record header`, pos);
  if (extra - hc > end - out.dataStart) {
    corrupt(subtype, `${end - out.dataStart} literal bytes cannot hold the ${extra - hc} header bytes`, pos);
  }
  return out;
}

/**
 * INSERT_HEAP_DYNAMIC / INSERT_REUSE_DYNAMIC: varints prev (<=3 bytes),
 * shift (<=3, REUSE only), enc_hdr_l (<=3), hdr_c (<=2), data_c (<=3), then
 * the literal bytes (header part of hdr_l bytes, then data).
 */
export function decodeInsertDynamic(
  subtype: number, bytes: Uint8Array, start: number, end: number, out: InsertDynamicFields, pos?: LogPosition,
): InsertDynamicFields {
  if (end <= start) corrupt(subtype, 'empty payload', pos);
  const w = walker;
  w.reset(subtype, bytes, start, end, pos);
  out.prev = w.take(3, 'prev', false);
  out.shift = subtype === ExtendedSubtype.INSERT_REUSE_DYNAMIC ? w.take(3, 'shift', false) : 0;
  out.encHdrL = w.take(3, 'enc_hdr_l', false);
  out.hdrC = w.take(2, 'hdr_c', false);
  out.dataC = w.take(3, 'data_c', true);
  out.dataStart = w.pos;
  out.dataEnd = end;
  const hdrL = out.encHdrL >> 3;
  if (hdrL > end - out.dataStart) {
    corrupt(subtype, `${end - out.dataStart} literal bytes cannot hold the ${hdrL} header bytes`, pos);
  }
  return out;
}

/** DELETE_ROW_FORMAT_REDUNDANT: one varint prev that fills the payload exactly (1..3 bytes). */
export function decodeDeleteRedundant(
  bytes: Uint8Array, start: number, end: number, out: DeleteRedundantFields, pos?: LogPosition,
): DeleteRedundantFields {
  const subtype = ExtendedSubtype.DELETE_ROW_FORMAT_REDUNDANT;
  const n = end - start;
  if (n < 1 || n > 3) corrupt(subtype, `payload of ${n} bytes (1..3 expected)`, pos);
  const len = varintLength(bytes[start]!);
  if (len !== n) corrupt(subtype, `prev varint is ${len} bytes but the payload is ${n}`, pos);
  out.prev = decodeVarint(bytes, start);
  return out;
}

/**
 * DELETE_ROW_FORMAT_DYNAMIC: varints prev (<=3 bytes), hdr_size (<=2),
 * data_size (<=3) which must end exactly at the end of the payload.
 */
export function decodeDeleteDynamic(
  bytes: Uint8Array, start: number, end: number, out: DeleteDynamicFields, pos?: LogPosition,
): DeleteDynamicFields {
  const subtype = ExtendedSubtype.DELETE_ROW_FORMAT_DYNAMIC;
  if (end <= start) corrupt(subtype, 'empty payload', pos);
  const w = walker;
  w.reset(subtype, bytes, start, end, pos);
  out.prev = w.take(3, 'prev', false);
  out.hdrSize = w.take(2, 'hdr_size', false);
  out.dataSize = w.take(3, 'data_size', true);
  if (w.pos !== end) corrupt(subtype, `${end - w.pos} bytes after data_size`, pos);
  return out;
}

const scratchInsRed = newInsertRedundantFields();
const scratchInsDyn = newInsertDynamicFields();
const scratchDelRed = newDeleteRedundantFields();
const scratchDelDyn = newDeleteDynamicFields();
const scratchUndo = newUndoAppendFields();

function hex(bytes: Uint8Array, start: number, end: number, max: number): string {
  let s = '';
  const stop = Math.min(end, start + max);
  for (let i = start; i < stop; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return end > stop ? s + '..' : s;
}

/**
 * One-line summary of an EXTENDED record for `dump`, e.g.
 * `INSERT_HEAP_DYNAMIC prev=0 hdr_l=2 info=0x00 hdr_c=0 data_c=0 literal=28`.
 * `start..end` is the payload after the subtype byte. Throws CorruptLogError
 * like the decoders.
 */
export function describeExtended(subtype: number, bytes: Uint8Array, start: number, end: number, pos?: LogPosition): string {
  const name = extendedSubtypeName(subtype);
  switch (subtype) {
    case ExtendedSubtype.INIT_ROW_FORMAT_REDUNDANT:
    case ExtendedSubtype.INIT_ROW_FORMAT_DYNAMIC:
    case ExtendedSubtype.UNDO_INIT:
      checkEmptyPayload(subtype, start, end, pos);
      return name;
    case ExtendedSubtype.TRIM_PAGES:
      checkEmptyPayload(subtype, start, end, pos);
      return `${name} (page number field = new size in pages)`;
    case ExtendedSubtype.UNDO_APPEND: {
      const f = decodeUndoAppend(bytes, start, end, scratchUndo, pos);
      return `${name} len=${f.dataEnd - f.dataStart} rec=${hex(bytes, f.dataStart, f.dataEnd, 16)}`;
    }
    case ExtendedSubtype.INSERT_HEAP_REDUNDANT:
    case ExtendedSubtype.INSERT_REUSE_REDUNDANT: {
      const f = decodeInsertRedundant(subtype, bytes, start, end, scratchInsRed, pos);
      const short = (f.header & 4) !== 0 ? 1 : 2;
      return `${name} prev=${f.prev} n_fields=${(f.header >> 3) + 1} offs=${short}B ` +
        `info=0x${((f.header & 3) << 4).toString(16).padStart(2, '0')} hdr_c=${f.hdrC} data_c=${f.dataC} ` +
        `literal=${f.dataEnd - f.dataStart}`;
    }
    case ExtendedSubtype.INSERT_HEAP_DYNAMIC:
    case ExtendedSubtype.INSERT_REUSE_DYNAMIC: {
      const f = decodeInsertDynamic(subtype, bytes, start, end, scratchInsDyn, pos);
      const shift = subtype === ExtendedSubtype.INSERT_REUSE_DYNAMIC
        ? ` shift=${(f.shift & 1) !== 0 ? '-' : '+'}${f.shift >> 1}` : '';
      return `${name} prev=${f.prev}${shift} hdr_l=${f.encHdrL >> 3} ` +
        `info=0x${((f.encHdrL & 3) << 4).toString(16).padStart(2, '0')}${(f.encHdrL & 4) !== 0 ? ' instant' : ''} ` +
        `hdr_c=${f.hdrC} data_c=${f.dataC} literal=${f.dataEnd - f.dataStart}`;
    }
    case ExtendedSubtype.DELETE_ROW_FORMAT_REDUNDANT:
      return `${name} prev=${decodeDeleteRedundant(bytes, start, end, scratchDelRed, pos).prev}`;
    case ExtendedSubtype.DELETE_ROW_FORMAT_DYNAMIC: {
      const f = decodeDeleteDynamic(bytes, start, end, scratchDelDyn, pos);
      return `${name} prev=${f.prev} hdr_size=${f.hdrSize} data_size=${f.dataSize}`;
    }
    default:
      return corrupt(subtype, 'unknown subtype', pos);
  }
}

/**
 * Validates the payload of any EXTENDED record (without a page): subtype known
 * and payload well-formed. Throws CorruptLogError naming the subtype.
 */
export function validateExtended(subtype: number, bytes: Uint8Array, start: number, end: number, pos?: LogPosition): void {
  switch (subtype) {
    case ExtendedSubtype.INIT_ROW_FORMAT_REDUNDANT:
    case ExtendedSubtype.INIT_ROW_FORMAT_DYNAMIC:
    case ExtendedSubtype.UNDO_INIT:
    case ExtendedSubtype.TRIM_PAGES:
      return checkEmptyPayload(subtype, start, end, pos);
    case ExtendedSubtype.UNDO_APPEND:
      decodeUndoAppend(bytes, start, end, scratchUndo, pos);
      return;
    case ExtendedSubtype.INSERT_HEAP_REDUNDANT:
    case ExtendedSubtype.INSERT_REUSE_REDUNDANT:
      decodeInsertRedundant(subtype, bytes, start, end, scratchInsRed, pos);
      return;
    case ExtendedSubtype.INSERT_HEAP_DYNAMIC:
    case ExtendedSubtype.INSERT_REUSE_DYNAMIC:
      decodeInsertDynamic(subtype, bytes, start, end, scratchInsDyn, pos);
      return;
    case ExtendedSubtype.DELETE_ROW_FORMAT_REDUNDANT:
      decodeDeleteRedundant(bytes, start, end, scratchDelRed, pos);
      return;
    case ExtendedSubtype.DELETE_ROW_FORMAT_DYNAMIC:
      decodeDeleteDynamic(bytes, start, end, scratchDelDyn, pos);
      return;
    default:
      corrupt(subtype, 'unknown subtype', pos);
  }
}
