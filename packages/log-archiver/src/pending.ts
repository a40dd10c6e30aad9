import { type Lsn, type MtrBatch } from '@ibarchive/parser';
import { HEADER_ROOM, MAX_SAMPLES, type TimeSample } from './segment-format.js';

/**
 * The segment being assembled in memory: whole, validated mtrs [startLsn,
 * endLsn) with every terminator rewritten to 1, plus time samples. Nothing
 * here is durable until the archiver writes it as a segment. The buffer keeps
 * HEADER_ROOM free bytes before the payload (see `handOver()`).
 */
export class PendingSegment {
  private buf: Uint8Array;
  /** Buffers given back by writers, for reuse (fresh memory costs a page fault per 4 KiB on first touch). */
  private readonly spares: Uint8Array[] = [];
  private len = 0;
  /** Bytes appended without a copy (read in place through freeTail()). */
  inPlace = 0;
  private samplesList: TimeSample[] = [];
  startLsn: Lsn;
  /** Wall-clock time the first byte was added (ms), or undefined when empty. */
  firstAddedAt: number | undefined;

  constructor(startLsn: Lsn, initialCapacity: number) {
    this.startLsn = startLsn;
    this.buf = new Uint8Array(HEADER_ROOM + initialCapacity);
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
    const at = HEADER_ROOM + this.len;
    const base = at - from;
    // A read made into freeTail() is in place already.
    if (b.bytes.buffer !== this.buf.buffer || b.bytes.byteOffset + from !== at) this.buf.set(b.bytes.subarray(from, to), at);
    else this.inPlace += n;
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

  /**
   * The free space after the bytes, if at least `min` bytes: a read into it
   * that appendBatch() then appends needs no copy.
   */
  freeTail(min: number): Uint8Array | undefined {
    const at = HEADER_ROOM + this.len;
    return this.buf.length - at >= min ? this.buf.subarray(at) : undefined;
  }

  /** The bytes (a view; valid until the next append). */
  bytes(): Uint8Array {
    return this.buf.subarray(HEADER_ROOM, HEADER_ROOM + this.len);
  }

  /**
   * Hands the payload over to a writer without copying: returns a view of the
   * bytes, preceded in its buffer by HEADER_ROOM bytes the writer may fill,
   * and continues in another buffer (one given back with `giveBack`, or a
   * new one). The segment is then empty, starting at its former end.
   */
  handOver(): Uint8Array {
    const out = this.bytes();
    const end = this.endLsn;
    const i = this.spares.findIndex((b) => b.length >= this.buf.length);
    this.buf = i >= 0 ? this.spares.splice(i, 1)[0]! : new Uint8Array(this.buf.length);
    this.reset(end);
    return out;
  }

  /** Returns a buffer from `handOver()` that the writer no longer uses, for reuse. */
  giveBack(payload: Uint8Array): void {
    if (this.spares.length < 2) this.spares.push(new Uint8Array(payload.buffer, 0, payload.buffer.byteLength));
  }

  /** Empties the segment, which now starts at `lsn`. */
  reset(lsn: Lsn): void {
    this.startLsn = lsn;
    this.len = 0;
    this.samplesList = [];
    this.firstAddedAt = undefined;
  }

  private ensure(n: number): void {
    if (HEADER_ROOM + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(HEADER_ROOM + n, this.buf.length * 2));
    b.set(this.buf.subarray(0, HEADER_ROOM + this.len));
    this.buf = b;
  }
}
