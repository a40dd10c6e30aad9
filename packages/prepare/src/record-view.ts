import { MEMMOVE, type PageRecord } from '@ibarchive/parser';
import { R_CODE_OFFSET, R_DATA_END, R_DATA_START, R_INLINE, R_LENGTH, R_MTR, type WindowRecords } from './window-records.js';

/** A stored record presented as the parser's PageRecord, one reusable object. */
export class RecordView implements PageRecord {
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
  private readonly inline = new Uint8Array(8);

  /** Loads the record whose row starts at word `o` of the store's rows. */
  load(s: WindowRecords, o: number, spaceId: number, pageNo: number): this {
    const rec = s.rec;
    const codeOffset = rec[o + R_CODE_OFFSET]!;
    const code = codeOffset >>> 16;
    const type = code & 0x70;
    this.type = type;
    this.subtype = (code & 0x0f) - 1;
    this.spaceId = spaceId;
    this.pageNo = pageNo;
    this.bytes = s.flat ?? s.buffers[s.mtrBuf[rec[o + R_MTR]!]!]!;
    this.offset = codeOffset & 0xffff;
    this.length = rec[o + R_LENGTH]!;
    if (codeOffset & R_INLINE) {
      // A short WRITE kept in the row: its bytes, unpacked.
      const w0 = rec[o + R_DATA_START]!;
      const w1 = rec[o + R_DATA_END]!;
      for (let k = 0; k < this.length; k++) this.inline[k] = (k < 4 ? w0 >>> (k << 3) : w1 >>> ((k - 4) << 3)) & 0xff;
      this.bytes = this.inline;
      this.source = 0;
      this.dataStart = 0;
      this.dataEnd = this.length;
    } else if (type === MEMMOVE) {
      this.source = rec[o + R_DATA_START]!;
      this.dataStart = this.dataEnd = 0;
    } else {
      this.source = 0;
      this.dataStart = rec[o + R_DATA_START]!;
      this.dataEnd = rec[o + R_DATA_END]!;
    }
    // The whole record is not kept; OPTION records (the only users) are not stored.
    this.recStart = this.dataStart;
    this.recEnd = this.dataEnd;
    return this;
  }
}
