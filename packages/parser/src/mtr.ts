import { crc32cRange } from './crc32c.js';
import { batchCrc } from './crc32c-batch.js';
import { ChecksumMismatchError, CorruptLogError } from './errors.js';
import { formatLsn, type Lsn } from './lsn.js';
import type { KnownMtrs } from './known-mtrs.js';
import type { PageResetSink } from './records/resets.js';
import type { LogSource } from './source.js';
import { decodeVarint, varintLength } from './varint.js';
import { readMtrBatchesInWorker } from './parallel/worker-reader.js';

/**
 * Mini-transaction framing (redo-format.md section 3):
 *
 *   record 1 | ... | record n | T | CRC-32C(records) (4 bytes, big-endian)
 *
 * Records are walked by their length fields only: first byte b (>= 2), low
 * nibble n; n > 0: the record is 1 + n bytes; n = 0: a varint V follows and the
 * record is 1 + V + 15 bytes. A byte <= 1 where a record would start is the
 * terminator T, which must equal the sequence bit of T's own LSN. The CRC does
 * not cover T. The first invalid mtr is the end of the log. Real example
 * (LSN 44404): `fa 00 00 00 00 00 00 00 00 ad 74 | 01 | ad d4 e8 f9`.
 */

/** Largest total record length of one mtr (`MTR_SIZE_MAX`). */
export const MTR_SIZE_MAX = 1 << 20;

/**
 * Why decoding stopped. `zero`: a byte 0x00/0x01 where an mtr must start;
 * `seqbit`: the terminator is not the expected sequence bit; `checksum`: CRC
 * mismatch; `length`: mtr too long or an invalid length varint; `eof`: the
 * source has no more bytes (end of a linear log); `to-lsn`: the requested
 * stop LSN was reached.
 */
export type EndReason = 'zero' | 'seqbit' | 'checksum' | 'length' | 'eof' | 'to-lsn';

/** Result of scanMtr, reused between calls. */
export class MtrScan {
  kind: 'mtr' | 'need-more' | 'end' = 'need-more';
  /** Index of the terminator byte (= end of the records). Set for 'mtr', and for 'end' with reason seqbit/checksum. */
  recordsEnd = 0;
  /** Index just after the CRC. Set like recordsEnd. */
  end = 0;
  reason: EndReason | undefined = undefined;
  /** For reason 'checksum': the stored and the computed CRC. */
  storedCrc = 0;
  computedCrc = 0;
}

/**
 * Frames the mtr starting at `bytes[pos]`, looking at bytes before `limit`.
 * The terminator expected at index i is `seqBit` if i < flipAt, else
 * 1 - seqBit (a ring's pass boundary inside the window). Without `checksum`
 * the CRC is not checked (framing only). Returns `out`.
 */
export function scanMtr(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  seqBit: 0 | 1,
  flipAt: number = Infinity,
  out: MtrScan = new MtrScan(),
  checksum = true,
  /** Collects the mtr's FREE_PAGE / INIT_PAGE page ids (as mtr `mtrIndex`); left partly filled if the mtr is not valid. */
  resets?: PageResetSink,
  mtrIndex = 0,
): MtrScan {
  out.reason = undefined;
  if (pos >= limit) return needMore(out);
  if (bytes[pos]! <= 1) return end(out, 'zero');
  let p = pos;
  for (;;) {
    if (p >= limit) return needMore(out);
    const b = bytes[p]!;
    if (b <= 1) break;
    const n = b & 15;
    if (n !== 0) {
      if (resets !== undefined && b < 0x20 && p + 1 + n <= limit && !resets.take(bytes, p + 1, p + 1 + n, mtrIndex)) return end(out, 'length');
      p += 1 + n;
    } else {
      if (p + 1 >= limit) return needMore(out);
      const vl = varintLength(bytes[p + 1]!);
      if (vl === 0) return end(out, 'length');
      if (p + 1 + vl > limit) return needMore(out);
      const v = decodeVarint(bytes, p + 1);
      if (v < 0 || v >= MTR_SIZE_MAX) return end(out, 'length');
      if (resets !== undefined && b < 0x20 && p + 16 + v <= limit && !resets.take(bytes, p + 1 + vl, p + 16 + v, mtrIndex)) return end(out, 'length');
      p += 16 + v;
    }
    if (p - pos >= MTR_SIZE_MAX) return end(out, 'length');
  }
  if (p + 5 > limit) return needMore(out);
  out.recordsEnd = p;
  out.end = p + 5;
  const expected = p < flipAt ? seqBit : 1 - seqBit;
  if (bytes[p] !== expected) return end(out, 'seqbit');
  if (!checksum) {
    out.kind = 'mtr';
    return out;
  }
  const stored = ((bytes[p + 1]! << 24) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 8) | bytes[p + 4]!) >>> 0;
  const computed = crc32cRange(bytes, pos, p);
  if (stored !== computed) {
    out.storedCrc = stored;
    out.computedCrc = computed;
    return end(out, 'checksum');
  }
  out.kind = 'mtr';
  return out;
}

function needMore(out: MtrScan): MtrScan {
  out.kind = 'need-more';
  return out;
}

function end(out: MtrScan, reason: EndReason): MtrScan {
  out.kind = 'end';
  out.reason = reason;
  return out;
}

/** A run of whole valid mtrs read from a LogSource. */
export interface MtrBatch {
  kind: 'batch';
  /** The window read; mtrs are at `starts[i]..ends[i]` (CRC included). */
  bytes: Uint8Array;
  /** LSN of bytes[0]. */
  lsn: Lsn;
  count: number;
  starts: Uint32Array;
  /** Index of each mtr's terminator byte (end of its records). */
  recordsEnds: Uint32Array;
  ends: Uint32Array;
}

/** How a read of the log ended. */
export interface LogEnd {
  kind: 'end';
  /** LSN just after the last valid mtr (= where the next mtr would start). */
  endLsn: Lsn;
  reason: EndReason;
  /** File and offset of endLsn. */
  file: string;
  offset: number;
}

export interface ReadMtrOptions {
  /** Stop before the first mtr starting at or after this LSN. */
  toLsn?: Lsn | undefined;
  /** Bytes per read (default 8 MiB). */
  batchBytes?: number | undefined;
  /**
   * Frame and checksum in a worker thread while the caller works on the
   * previous batch (parallel/worker-reader.ts). Same mtrs, end and errors;
   * batches are cut differently (an mtr straddling two windows is a batch of
   * its own). Up to 2 windows of `batchBytes` are read ahead of the batch the
   * caller holds.
   */
  worker?: boolean | undefined;
  /**
   * With `worker`: the arrays `source.read()` returns are kept by nobody else,
   * so one that spans its whole ArrayBuffer is transferred to the worker
   * (detached) instead of copied. Default false: each window is copied once
   * (arrays backed by a SharedArrayBuffer are shared, never copied).
   */
  ownedReads?: boolean | undefined;
  /**
   * With `worker`: a batch's `bytes` and index arrays are reused for a later
   * window once the generator is resumed (fresh memory costs a page fault per
   * 4 KiB on first touch). Only for callers that finish each batch before
   * asking for the next.
   */
  reuseWindows?: boolean | undefined;
  /**
   * False: frame only, without checking CRCs (a quick look ahead whose
   * caller checks what it uses). Not with `worker`. Default true.
   */
  checksums?: boolean | undefined;
  /** Filled with the FREE_PAGE / INIT_PAGE records of each batch's mtrs before it is yielded. Not with `worker`. */
  resets?: PageResetSink | undefined;
  /**
   * Boundaries of mtrs framed before (a look-ahead): an mtr found there is
   * checked (sequence bit, CRC) without walking its records. Only with
   * checksums and without `resets`; not with `worker`.
   */
  known?: KnownMtrs | undefined;
}

/** The index arrays of a batch (equal lengths), reusable by frameRun. */
export interface MtrIndex {
  starts: Uint32Array;
  recordsEnds: Uint32Array;
  ends: Uint32Array;
}

/** Whole valid mtrs framed by frameRun; indices into its window. */
export interface MtrRun extends MtrIndex {
  count: number;
  /** Index after the last whole mtr (= where framing stopped). */
  pos: number;
  /** Framing stopped at the first mtr starting at or after `toPos`. */
  toLsnReached: boolean;
}

/**
 * Frames whole valid mtrs of `bytes` from `pos` until scanMtr returns
 * need-more or end (left in `scan`), the bytes run out, or an mtr would start
 * at or after `toPos`. The one loop behind readMtrBatches, in either thread.
 * Fills `index` if given (grown copies when it is too short).
 */
export function frameRun(
  bytes: Uint8Array,
  pos: number,
  seqBit: 0 | 1,
  flipAt: number,
  toPos: number,
  scan: MtrScan,
  index?: MtrIndex,
  checksum = true,
  /** Filled (from 0) with the resets of the mtrs framed, by index in the run. */
  resets?: PageResetSink,
  /** Boundaries known ahead (ReadMtrOptions.known), with the LSN of bytes[0]; used only with `checksum` and without `resets`. */
  known?: KnownMtrs,
  knownLsn = 0,
): MtrRun {
  let cap = index?.starts.length ?? Math.max(1024, bytes.length >> 6);
  let starts: Uint32Array = index?.starts ?? new Uint32Array(cap);
  let recordsEnds: Uint32Array = index?.recordsEnds ?? new Uint32Array(cap);
  let ends: Uint32Array = index?.ends ?? new Uint32Array(cap);
  let count = 0;
  let toLsnReached = false;
  if (resets) resets.n = 0;
  while (pos < bytes.length) {
    if (pos >= toPos) {
      toLsnReached = true;
      break;
    }
    const batched = known !== undefined && checksum && resets === undefined ? batchCrc.verify : undefined;
    if (batched !== undefined) {
      // The known mtrs from here on whose terminators check out, framed at once, then all their
      // CRCs checked in one native call; from the first that fails, the mtr is walked (below).
      let n = count;
      let at = pos;
      while (at < bytes.length && at < toPos) {
        const len = known!.lengthAt(knownLsn + at);
        const t = at + len - 5;
        if (len === 0 || t <= at || at + len > bytes.length || t - at >= MTR_SIZE_MAX || bytes[at]! <= 1) break;
        if (bytes[t] !== (t < flipAt ? seqBit : 1 - seqBit)) break;
        if (n === cap) {
          cap *= 2;
          starts = grow(starts, cap);
          recordsEnds = grow(recordsEnds, cap);
          ends = grow(ends, cap);
        }
        starts[n] = at;
        recordsEnds[n] = t;
        ends[n] = at + len;
        n++;
        at += len;
      }
      const ok = n > count ? batched(bytes, starts, ends, count, n) : count;
      if (ok > count) {
        count = ok;
        pos = ends[count - 1]!;
        scan.kind = 'mtr';
        scan.reason = undefined;
        scan.recordsEnd = recordsEnds[count - 1]!;
        scan.end = pos;
        continue;
      }
    }
    const mark = resets?.n ?? 0;
    const len = batched !== undefined || known === undefined || !checksum || resets !== undefined ? 0 : known.lengthAt(knownLsn + pos);
    if (len === 0 || !checkKnown(bytes, pos, pos + len, seqBit, flipAt, scan)) scanMtr(bytes, pos, bytes.length, seqBit, flipAt, scan, checksum, resets, count);
    if (scan.kind !== 'mtr') {
      if (resets) resets.n = mark;
      break;
    }
    if (count === cap) {
      cap *= 2;
      starts = grow(starts, cap);
      recordsEnds = grow(recordsEnds, cap);
      ends = grow(ends, cap);
    }
    starts[count] = pos;
    recordsEnds[count] = scan.recordsEnd;
    ends[count] = scan.end;
    count++;
    pos = scan.end;
  }
  return { count, starts, recordsEnds, ends, pos, toLsnReached };
}

/**
 * An mtr at bytes[pos, end) as a look-ahead framed it (KnownMtrs): true, with
 * `scan` set as scanMtr sets it, if the terminator at end - 5 carries the
 * expected sequence bit and the CRC matches; false (nothing set) otherwise,
 * and the caller frames the mtr by walking it.
 */
function checkKnown(bytes: Uint8Array, pos: number, end: number, seqBit: 0 | 1, flipAt: number, scan: MtrScan): boolean {
  const t = end - 5;
  if (t <= pos || end > bytes.length || t - pos >= MTR_SIZE_MAX || bytes[pos]! <= 1) return false;
  if (bytes[t] !== (t < flipAt ? seqBit : 1 - seqBit)) return false;
  const stored = ((bytes[t + 1]! << 24) | (bytes[t + 2]! << 16) | (bytes[t + 3]! << 8) | bytes[t + 4]!) >>> 0;
  if (stored !== crc32cRange(bytes, pos, t)) return false;
  scan.kind = 'mtr';
  scan.reason = undefined;
  scan.recordsEnd = t;
  scan.end = end;
  return true;
}

/** Index of `lsn` in a window starting at `windowLsn` of `length` bytes; Infinity if absent or beyond it. */
export function windowIndex(lsn: Lsn | undefined, windowLsn: Lsn, length: number): number {
  return lsn === undefined || lsn - windowLsn > BigInt(length) ? Infinity : Number(lsn - windowLsn);
}

/**
 * Reads whole valid mtrs from `fromLsn` to the end of the log in large
 * windows. Yields batches, then one LogEnd. A checksum or sequence-bit failure
 * that is followed by a valid mtr is corruption in the middle of the log, not
 * its end: after one re-read (a read of a live file can be torn) it throws
 * ChecksumMismatchError / CorruptLogError naming the LSN and file offset.
 * Nothing is allocated per mtr or per record. See ReadMtrOptions.worker.
 */
export async function* readMtrBatches(
  source: LogSource,
  fromLsn: Lsn,
  options: ReadMtrOptions = {},
): AsyncGenerator<MtrBatch | LogEnd> {
  if (options.worker && (options.checksums === false || options.resets || options.known)) throw new RangeError('readMtrBatches: checksums: false, resets and known are not supported with worker');
  if (options.worker) {
    yield* readMtrBatchesInWorker(source, fromLsn, options);
    return;
  }
  const batchBytes = Math.max(options.batchBytes ?? 8 << 20, 4096);
  const toLsn = options.toLsn;
  const checksum = options.checksums ?? true;
  const known = checksum && !options.resets ? options.known : undefined;
  const scan = new MtrScan();
  let lsn = fromLsn;
  let want = batchBytes;
  let rereadOnce = false;
  for (;;) {
    const bytes = await source.read(lsn, want);
    const seqBit = source.seqBit(lsn);
    const flipAt = windowIndex(source.seqFlipAfter(lsn), lsn, bytes.length);
    const run = frameRun(bytes, 0, seqBit, flipAt, windowIndex(toLsn, lsn, bytes.length), scan, undefined, checksum, options.resets, known, Number(lsn));
    const { count, starts, recordsEnds, ends, pos } = run;
    let stop: EndReason | undefined = run.toLsnReached ? 'to-lsn' : undefined;
    if (count > 0) {
      yield { kind: 'batch', bytes, lsn, count, starts, recordsEnds, ends };
      lsn += BigInt(pos);
      want = batchBytes;
      rereadOnce = false;
      if (stop === undefined) continue;
    }
    if (stop === undefined && pos < bytes.length && scan.kind === 'end') {
      if (isMidLogFailure(bytes, scan, seqBit, flipAt) && !rereadOnce) {
        // A read of a live file can be torn (old bytes, then newer ones); read again before judging.
        rereadOnce = true;
        continue;
      }
      rereadOnce = false;
      throwIfMidLogFailure(source, lsn, bytes, scan, seqBit, flipAt);
      stop = scan.reason!;
    } else if (stop === undefined && bytes.length === want && want < 4 * MTR_SIZE_MAX) {
      want *= 2;
      continue;
    }
    yield { kind: 'end', endLsn: lsn, reason: stop ?? 'eof', ...source.locate(lsn) };
    return;
  }
}

function grow(a: Uint32Array, cap: number): Uint32Array {
  const b = new Uint32Array(cap);
  b.set(a);
  return b;
}

/**
 * The mtr at bytes[0] failed its checksum or sequence bit. If the framing
 * still found its end and a valid mtr follows, the failure is corruption in
 * the middle of the log, not its end.
 */
function isMidLogFailure(bytes: Uint8Array, failed: MtrScan, seqBit: 0 | 1, flipAt: number): boolean {
  if (failed.reason !== 'checksum' && failed.reason !== 'seqbit') return false;
  return scanMtr(bytes, failed.end, bytes.length, seqBit, flipAt).kind === 'mtr';
}

/** Throws ChecksumMismatchError / CorruptLogError if `failed` is a mid-log failure (see isMidLogFailure). */
function throwIfMidLogFailure(source: LogSource, lsn: Lsn, bytes: Uint8Array, failed: MtrScan, seqBit: 0 | 1, flipAt: number): void {
  if (!isMidLogFailure(bytes, failed, seqBit, flipAt)) return;
  const reason = failed.reason;
  const pos = { lsn, ...source.locate(lsn) };
  if (reason === 'checksum') {
    throw new ChecksumMismatchError('checksum mismatch in mtr', failed.storedCrc, failed.computedCrc, pos);
  }
  const at = lsn + BigInt(failed.recordsEnd);
  throw new CorruptLogError(
    `sequence bit mismatch (terminator ${bytes[failed.recordsEnd]} at LSN ${formatLsn(at)}) in mtr followed by valid log`,
    pos,
  );
}
