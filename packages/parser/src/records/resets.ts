import { decodeVarint, varintLength } from '../varint.js';

/**
 * The FREE_PAGE and INIT_PAGE records found while framing (scanMtr with a
 * sink): a quick look ahead, since every record of a page before its reset is
 * void. FREE_PAGE is 0x00 and INIT_PAGE 0x10 with bit 7 clear (redo-format.md
 * 4.1): both always carry their page id (RecordReader rejects either with
 * same_page as corrupt, and the fixtures hold none), so a first byte below
 * 0x20 (and above the terminators 0x00, 0x01) is one of them.
 */
export class PageResetSink {
  n = 0;
  spaces = new Uint32Array(1024);
  pages = new Uint32Array(1024);
  /** Index of the mtr in its framing run (MtrRun). */
  mtrs = new Uint32Array(1024);

  /**
   * Takes the reset record at bytes[q] (the byte after the record's length),
   * ending at `end`, of mtr `mtr`. Returns false if its page id does not parse.
   */
  take(bytes: Uint8Array, q: number, end: number, mtr: number): boolean {
    const sl = varintLength(bytes[q]!);
    if (sl === 0 || q + sl >= end) return false;
    const space = decodeVarint(bytes, q);
    q += sl;
    const pl = varintLength(bytes[q]!);
    if (pl === 0 || q + pl > end) return false;
    const page = decodeVarint(bytes, q);
    if (space < 0 || page < 0) return false;
    if (this.n === this.spaces.length) this.grow();
    this.spaces[this.n] = space;
    this.pages[this.n] = page;
    this.mtrs[this.n] = mtr;
    this.n++;
    return true;
  }

  private grow(): void {
    const n = this.spaces.length * 2;
    const g = (a: Uint32Array) => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    this.spaces = g(this.spaces);
    this.pages = g(this.pages);
    this.mtrs = g(this.mtrs);
  }
}
