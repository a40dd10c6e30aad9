import { type Lsn, type MtrBatch } from '@ibarchive/parser';
import { MAX_SAMPLES, type TimeSample } from './segment-format.js';

/**
 * The segment being assembled in memory: whole, validated mtrs [startLsn,
 * endLsn) with every terminator rewritten to 1, plus time samples. Nothing
 * here is durable until the archiver writes it as a segment.
 */
export class PendingSegment {
  private buf: Uint8Array;
  private len = 0;
  private samplesList: TimeSample[] = [];
  startLsn: Lsn;
  /** Wall-clock time the first byte was added (ms), or undefined when empty. */
  firstAddedAt: number | undefined;

  constructor(startLsn: Lsn, initialCapacity: number) {
    this.startLsn = startLsn;
    this.buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.len;
  }

  get endLsn(): Lsn {
    return this.startLsn + BigInt(this.len);
  }

  get samples(): TimeSample[] {
    return this.samplesList;
  }

  /** Mark: the current length, to roll back to with truncate(). */
  mark(): number {
    return this.len;
  }

  /** Drops bytes added after `mark` (data that could not be certified). */
  truncate(mark: number): void {
    this.len = mark;
    this.samplesList = this.samplesList.filter((s) => s.lsn <= this.endLsn);
    if (mark === 0) this.firstAddedAt = undefined;
  }

  /** Appends the whole mtrs of a batch (which must start at endLsn), rewriting each terminator to 1. */
  appendBatch(b: MtrBatch, nowMs: number): void {
    if (b.count === 0) return;
    const from = b.starts[0]!;
    const to = b.ends[b.count - 1]!;
    if (b.lsn + BigInt(from) !== this.endLsn) throw new RangeError('batch does not continue the pending segment');
    const n = to - from;
    this.ensure(this.len + n);
    const base = this.len - from;
    this.buf.set(b.bytes.subarray(from, to), this.len);
    const re = b.recordsEnds;
    for (let i = 0; i < b.count; i++) this.buf[base + re[i]!] = 1;
    this.len += n;
    if (this.firstAddedAt === undefined) this.firstAddedAt = nowMs;
  }

  /** Records that by `timeMs` the log was seen up to `lsn`; one sample per second at most. */
  sample(timeMs: number, lsn: Lsn): void {
    const last = this.samplesList[this.samplesList.length - 1];
    if (last && (last.lsn >= lsn || timeMs - last.timeMs < 1000)) return;
    if (this.samplesList.length >= MAX_SAMPLES) this.samplesList = this.samplesList.filter((_, i) => i % 2 === 0);
    this.samplesList.push({ timeMs, lsn });
  }

  /** The bytes (a view; valid until the next append). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Empties the segment, which now starts at `lsn`. */
  reset(lsn: Lsn): void {
    this.startLsn = lsn;
    this.len = 0;
    this.samplesList = [];
    this.firstAddedAt = undefined;
  }

  private ensure(n: number): void {
    if (n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(n, this.buf.length * 2));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
}
