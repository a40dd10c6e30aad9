import { formatLsn, formatOffset, IbarchiveError, type Lsn, MtrScan, RecordReader, scanMtr } from '@ibarchive/parser';
import type { SegmentInfo } from './archive-reader.js';
import type { VerifyProblem } from './verify.js';

/**
 * Frames consecutive segment payloads as one linear log (terminators 1),
 * carrying an incomplete mtr over a segment boundary, and decodes every
 * record. breakAt() ends a contiguous range (a gap or a damaged segment
 * follows): an unfinished mtr there is a problem.
 */
export class StreamFramer {
  mtrs = 0;
  records = 0;
  nextLsn: Lsn | undefined;
  private carry = new Uint8Array(0);
  private carryFile: string | undefined;
  private readonly scan = new MtrScan();
  private seg: SegmentInfo | undefined;
  private readonly reader = new RecordReader({
    source: {
      name: 'archive',
      locate: (lsn: Lsn) => this.locate(lsn),
    },
  });
  /** After a bad mtr, framing resumes at the next segment (the archiver starts every segment at an mtr). */
  private broken = false;

  constructor(private readonly problems: VerifyProblem[]) {}

  private locate(lsn: Lsn): { file: string; offset: number } {
    const s = this.seg;
    if (!s) return { file: 'archive', offset: 0 };
    const off = Number(lsn - s.startLsn);
    return { file: s.path, offset: s.header.compression === 'none' ? s.header.headerLength + off : off };
  }

  breakAt(lsn: Lsn): void {
    if (this.nextLsn !== undefined && this.carry.length > 0 && !this.broken) {
      const to = this.nextLsn;
      const from = to - BigInt(this.carry.length);
      this.problems.push({
        kind: 'truncated',
        from,
        to,
        file: this.carryFile,
        message: `the log ends inside an mtr: ${this.carry.length} bytes at LSN ${formatLsn(from)} do not complete an mtr before LSN ${formatLsn(to)}`,
      });
    }
    this.carry = new Uint8Array(0);
    this.nextLsn = lsn;
    this.broken = false;
  }

  push(seg: SegmentInfo, payload: Uint8Array): void {
    this.seg = seg;
    if (this.broken) {
      this.broken = false;
      this.carry = new Uint8Array(0);
    }
    let buf = payload;
    let base = seg.startLsn;
    if (this.carry.length > 0) {
      buf = new Uint8Array(this.carry.length + payload.length);
      buf.set(this.carry);
      buf.set(payload, this.carry.length);
      base -= BigInt(this.carry.length);
    }
    let pos = 0;
    const s = this.scan;
    while (pos < buf.length) {
      scanMtr(buf, pos, buf.length, 1, Infinity, s);
      if (s.kind === 'need-more') break;
      const lsn = base + BigInt(pos);
      if (s.kind === 'end') {
        const detail =
          s.reason === 'checksum'
            ? `checksum mismatch: stored ${hex8(s.storedCrc)}, computed ${hex8(s.computedCrc)}`
            : s.reason === 'zero'
              ? 'a 0x00/0x01 byte where an mtr must start'
              : s.reason === 'seqbit'
                ? 'terminator byte is not 1'
                : 'invalid mtr length';
        this.fail(lsn, seg.endLsn, `bad mtr at LSN ${formatLsn(lsn)} (${this.where(lsn)}): ${detail}`);
        return;
      }
      try {
        this.reader.reset(buf, pos, s.recordsEnd, lsn, base + BigInt(s.end));
        while (this.reader.next()) this.records++;
      } catch (e) {
        if (!(e instanceof IbarchiveError)) throw e;
        this.fail(lsn, seg.endLsn, `bad record in the mtr at LSN ${formatLsn(lsn)}: ${e.message}`);
        return;
      }
      this.mtrs++;
      pos = s.end;
    }
    this.carry = pos < buf.length ? buf.slice(pos) : new Uint8Array(0);
    this.carryFile = seg.path;
    this.nextLsn = seg.endLsn;
  }

  private where(lsn: Lsn): string {
    const l = this.locate(lsn);
    return `${l.file}, ${this.seg?.header.compression === 'none' ? 'offset' : 'payload offset'} ${formatOffset(l.offset)}`;
  }

  private fail(from: Lsn, to: Lsn, message: string): void {
    const l = this.locate(from);
    this.problems.push({ kind: 'mtr', from, to, file: l.file, offset: l.offset, message });
    this.broken = true;
    this.carry = new Uint8Array(0);
    this.nextLsn = to;
  }
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
