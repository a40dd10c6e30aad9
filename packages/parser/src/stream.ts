import type { EndReason } from './mtr.js';
import { MtrScan, scanMtr } from './mtr.js';
import type { Lsn } from './lsn.js';
import type { LogSource } from './source.js';

/** One result of MtrStream.next(), reused between calls. */
export class MtrStreamResult {
  kind: 'mtr' | 'need-more' | 'end' = 'need-more';
  /** The stream's buffer; valid until the next push(). */
  bytes: Uint8Array = new Uint8Array(0);
  start = 0;
  recordsEnd = 0;
  end = 0;
  /** LSN of bytes[start]. */
  lsn: Lsn = 0n;
  /** LSN after this mtr. */
  endLsn: Lsn = 0n;
  reason: EndReason | undefined = undefined;
}

/**
 * Streaming framer: push() bytes in any chunking, next() returns the next
 * mtr, need-more, or end. The result is independent of chunk boundaries. The
 * sequence bit comes from `seq` (a LogSource's seqBit/seqFlipAfter); without
 * it terminators must be 1 (linear log).
 */
export class MtrStream {
  private buf = new Uint8Array(64 * 1024);
  private len = 0;
  private pos = 0;
  private lsn: Lsn;
  private readonly seq: Pick<LogSource, 'seqBit' | 'seqFlipAfter'> | undefined;
  private readonly scan = new MtrScan();
  private readonly result = new MtrStreamResult();

  constructor(lsn: Lsn, seq?: Pick<LogSource, 'seqBit' | 'seqFlipAfter'>) {
    this.lsn = lsn;
    this.seq = seq;
  }

  /** LSN of the next unconsumed byte. */
  get nextLsn(): Lsn {
    return this.lsn;
  }

  push(chunk: Uint8Array): void {
    if (this.pos > 0 && this.len + chunk.length > this.buf.length) {
      this.buf.copyWithin(0, this.pos, this.len);
      this.len -= this.pos;
      this.pos = 0;
    }
    if (this.len + chunk.length > this.buf.length) {
      const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + chunk.length));
      b.set(this.buf.subarray(0, this.len));
      this.buf = b;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  next(): MtrStreamResult {
    const r = this.result;
    const seqBit = this.seq ? this.seq.seqBit(this.lsn) : 1;
    const flip = this.seq?.seqFlipAfter(this.lsn);
    const flipAt = flip === undefined ? Infinity : this.pos + Number(flip - this.lsn);
    const s = scanMtr(this.buf, this.pos, this.len, seqBit, flipAt, this.scan);
    r.kind = s.kind;
    r.reason = s.reason;
    r.bytes = this.buf;
    r.lsn = this.lsn;
    if (s.kind === 'mtr') {
      r.start = this.pos;
      r.recordsEnd = s.recordsEnd;
      r.end = s.end;
      this.lsn += BigInt(s.end - this.pos);
      r.endLsn = this.lsn;
      this.pos = s.end;
    }
    return r;
  }
}
