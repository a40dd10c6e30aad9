import type { Lsn } from '../lsn.js';
import { frameRun, type MtrBatch, type MtrIndex, MtrScan, scanMtr, windowIndex } from '../mtr.js';

/**
 * Framing of consecutive read windows (the worker half of readMtrBatches with
 * `worker: true`). The reading thread cuts the log into windows at fixed byte
 * counts, not at mtr boundaries, so the bytes after a window's last whole mtr
 * are carried (copied) and completed from the head of the next window; that
 * straddling mtr becomes a batch of its own. Framing stops at the first mtr
 * that is not whole and valid (or at `toLsn`, or where a short read ended the
 * data); the reading thread then finishes with the single-thread reader from
 * that LSN, so end reasons, the torn-read re-read and mid-log corruption
 * errors come from one place.
 */

/** One window of log, with what LogSource says about its first LSN. */
export interface FrameWindow {
  /** The window's bytes; the worker owns them (transferred). */
  bytes: Uint8Array;
  /** LSN of bytes[0] (= the previous window's LSN + its length). */
  lsn: Lsn;
  /** source.seqBit(lsn) */
  seqBit: 0 | 1;
  /** source.seqFlipAfter(lsn) */
  flip: Lsn | undefined;
  /** The read was short: no bytes exist after this window. */
  final: boolean;
  /** Index arrays to fill for this window's batch (recycled from an earlier one). */
  index?: MtrIndex | undefined;
}

/** What framing one window produced. */
export interface FramedWindow {
  /** Batches in LSN order: the straddling mtr (if any), then the window's own whole mtrs. */
  batches: MtrBatch[];
  /** Framing stopped here: the LSN where the next mtr would start. */
  stop: Lsn | undefined;
  /** `stop` is the first mtr starting at or after toLsn. */
  toLsnReached: boolean;
  /** The window's bytes, handed back for reuse once its batch is done. */
  window: Uint8Array;
}

/** Smallest head of the next window copied to complete a carried mtr (grows by doubling). */
const MIN_HEAD = 4096;

export class WindowFramer {
  private readonly scan = new MtrScan();
  private carry: Uint8Array | undefined;
  private carryLsn: Lsn = 0n;
  private carrySeqBit: 0 | 1 = 1;
  /** First flip after carryLsn; 'next' = the flip the next window reports. */
  private carryFlip: Lsn | undefined | 'next' = undefined;
  private stopped = false;
  private expectLsn: Lsn | undefined;

  constructor(private readonly toLsn: Lsn | undefined) {}

  /** Frames the next window. Windows must be consecutive; after a stop, windows are ignored. */
  push(w: FrameWindow): FramedWindow {
    const out: FramedWindow = { batches: [], stop: undefined, toLsnReached: false, window: w.bytes };
    if (this.stopped) return out;
    if (this.expectLsn !== undefined && w.lsn !== this.expectLsn) {
      throw new Error(`window at LSN ${w.lsn} does not follow the previous one (expected ${this.expectLsn})`);
    }
    this.expectLsn = w.lsn + BigInt(w.bytes.length);
    let pos = 0;
    if (this.carry !== undefined) {
      const p = this.straddle(w, out);
      if (p < 0) return out;
      pos = p;
    }
    const bytes = w.bytes;
    const run = frameRun(bytes, pos, w.seqBit, windowIndex(w.flip, w.lsn, bytes.length), windowIndex(this.toLsn, w.lsn, bytes.length), this.scan, w.index);
    if (run.count > 0) {
      const { count, starts, recordsEnds, ends } = run;
      out.batches.push({ kind: 'batch', bytes, lsn: w.lsn, count, starts, recordsEnds, ends });
    }
    pos = run.pos;
    const at = w.lsn + BigInt(pos);
    if (run.toLsnReached) return this.stop(out, at, true);
    if (pos < bytes.length && this.scan.kind === 'end') return this.stop(out, at, false);
    if (w.final) return this.stop(out, at, false);
    if (pos < bytes.length) {
      this.carry = bytes.slice(pos);
      this.carryLsn = at;
      const pastFlip = w.flip !== undefined && at >= w.flip;
      this.carrySeqBit = pastFlip ? ((1 - w.seqBit) as 0 | 1) : w.seqBit;
      // A window is at most one ring pass, so no flip lies between a past flip and the next window.
      this.carryFlip = w.flip === undefined ? undefined : pastFlip ? 'next' : w.flip;
    }
    return out;
  }

  /**
   * Completes the carried mtr from the head of `w`. Returns the index in `w`
   * after it, or -1 if framing stopped or all of `w` joined the carry.
   */
  private straddle(w: FrameWindow, out: FramedWindow): number {
    const carry = this.carry!;
    const c = this.carryLsn;
    if (this.toLsn !== undefined && c >= this.toLsn) {
      this.stop(out, c, true);
      return -1;
    }
    const flip = this.carryFlip === 'next' ? w.flip : this.carryFlip;
    let head = Math.min(w.bytes.length, Math.max(MIN_HEAD, carry.length));
    for (;;) {
      const buf = new Uint8Array(carry.length + head);
      buf.set(carry, 0);
      buf.set(w.bytes.subarray(0, head), carry.length);
      const s = scanMtr(buf, 0, buf.length, this.carrySeqBit, windowIndex(flip, c, buf.length), this.scan);
      if (s.kind === 'mtr') {
        const one = (v: number) => Uint32Array.of(v);
        out.batches.push({ kind: 'batch', bytes: buf, lsn: c, count: 1, starts: one(0), recordsEnds: one(s.recordsEnd), ends: one(s.end) });
        this.carry = undefined;
        return s.end - carry.length;
      }
      if (s.kind === 'end') {
        this.stop(out, c, false);
        return -1;
      }
      if (head < w.bytes.length) {
        head = Math.min(w.bytes.length, head * 2);
        continue;
      }
      if (w.final) {
        this.stop(out, c, false);
        return -1;
      }
      this.carry = buf;
      this.carryFlip = flip;
      return -1;
    }
  }

  private stop(out: FramedWindow, lsn: Lsn, toLsnReached: boolean): FramedWindow {
    this.stopped = true;
    this.carry = undefined;
    out.stop = lsn;
    out.toLsnReached = toLsnReached;
    return out;
  }
}
