import { decodeVarint, varintLength } from './varint.js';

/**
 * The one byte cursor of the parser: a window of bytes (`Uint8Array` plus a
 * `DataView` of the same memory) and a read position. Reads are named by the
 * on-disk type and are big-endian (redo-format.md section 0). `bytes(n)` is a
 * zero-copy `subarray`. The cursor does not throw on bad data: `varint()`
 * returns -1 for an invalid or too long encoding, and callers that know the
 * LSN and file of the window raise the typed error.
 */
export class ByteCursor {
  bytes: Uint8Array;
  view: DataView;
  /** Next byte to read. */
  pos: number;
  /** End of the readable window (exclusive). */
  end: number;

  constructor(bytes: Uint8Array = new Uint8Array(0), pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
    this.end = end;
  }

  /** Points the cursor at another window; the DataView is rebuilt only if the array changed. */
  reset(bytes: Uint8Array, pos = 0, end = bytes.length): this {
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.pos = pos;
    this.end = end;
    return this;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /**
   * Reads a varint of at most `maxLength` bytes (section 2 width limits).
   * Returns -1 (position unchanged) if it is invalid, longer than
   * `maxLength`, or runs past `end`.
   */
  varint(maxLength = 5): number {
    const b0 = this.bytes[this.pos]!;
    if (b0 < 0x80 && this.pos < this.end) {
      this.pos++;
      return b0;
    }
    const len = varintLength(b0);
    if (len === 0 || len > maxLength || this.pos + len > this.end) return -1;
    const v = decodeVarint(this.bytes, this.pos);
    if (v >= 0) this.pos += len;
    return v;
  }

  /** The next `n` bytes as a zero-copy view. */
  take(n: number): Uint8Array {
    const s = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}
