import { LogGapError, TruncatedInputError } from './errors.js';
import {
  type Checkpoint,
  type LogHeader,
  MIN_LOG_FILE_SIZE,
  START_OFFSET,
  parseCheckpoints,
  parseLogHeader,
} from './header.js';
import { formatLsn, type Lsn } from './lsn.js';

/**
 * Log sources. The parser never does I/O: packages that own `fs` inject a
 * RandomAccess, and the decoder reads LSN ranges through a LogSource, which
 * hides whether the bytes come from the circular `ib_logfile0` (section 1.6)
 * or from a linear archived segment.
 */

/** Positional reads of one file (or an in-memory buffer). */
export interface RandomAccess {
  readonly name: string;
  readonly size: number;
  /** Bytes [position, position + length), shorter only at the end of the file. */
  read(position: number, length: number): Promise<Uint8Array>;
}

/** LSN-addressed redo bytes. */
export interface LogSource {
  /** For messages. */
  readonly name: string;
  /** First LSN whose bytes this source can hold. */
  readonly firstLsn: Lsn;
  /** Bytes [lsn, lsn + length) as one contiguous array (shorter at the end of what exists). */
  read(lsn: Lsn, length: number): Promise<Uint8Array>;
  /** Expected terminator for the terminator byte at `lsn`: circular = seqbit, linear = 1. */
  seqBit(lsn: Lsn): 0 | 1;
  /** First LSN after `lsn` whose sequence bit differs from that of `lsn`; undefined if none. */
  seqFlipAfter(lsn: Lsn): Lsn | undefined;
  /** File and byte offset that hold `lsn`, for error messages. */
  locate(lsn: Lsn): { file: string; offset: number };
}

/** An `ib_logfile0` read as a ring. */
export interface CircularLog extends LogSource {
  readonly header: LogHeader;
  readonly checkpoints: { latest: Checkpoint; valid: Checkpoint[] };
  /** Bytes in the data area: file size - 12288. */
  readonly capacity: number;
  readonly file: RandomAccess;
}

/** Wraps a byte array as a RandomAccess. */
export function memoryFile(name: string, bytes: Uint8Array): RandomAccess {
  return {
    name,
    size: bytes.length,
    read: async (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)),
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Opens an `ib_logfile0`: the server's, or a mariadb-backup log (the same
 * layout, read as a ring whose capacity is its size - 12288; its end is found
 * by the sequence bit after wrapping). Validates the header and checkpoints.
 * LSN -> offset: `12288 + (lsn - first_lsn) mod capacity`; sequence bit 1 on
 * even passes, 0 on odd ones.
 */
export async function openCircularLog(ra: RandomAccess): Promise<CircularLog> {
  const name = ra.name;
  const head = await ra.read(0, Math.min(ra.size, START_OFFSET));
  const header = parseLogHeader(head, name);
  if (ra.size < MIN_LOG_FILE_SIZE) {
    throw new TruncatedInputError(`redo log file is ${ra.size} bytes, shorter than ${MIN_LOG_FILE_SIZE}`, { file: name });
  }
  const checkpoints = parseCheckpoints(head, header, name);
  const capacity = ra.size - START_OFFSET;
  const cap = BigInt(capacity);
  const first = header.firstLsn;
  const check = (lsn: Lsn) => {
    if (lsn < first) {
      throw new LogGapError(`LSN ${formatLsn(lsn)} precedes the first LSN ${formatLsn(first)} of the log`, { file: name });
    }
  };
  return {
    name,
    firstLsn: first,
    header,
    checkpoints,
    capacity,
    file: ra,
    async read(lsn, length) {
      check(lsn);
      const len = Math.min(length, capacity);
      const at = Number((lsn - first) % cap);
      const head1 = Math.min(len, capacity - at);
      const a = await ra.read(START_OFFSET + at, head1);
      if (head1 === len) return a;
      return concat(a, await ra.read(START_OFFSET, len - head1));
    },
    seqBit(lsn) {
      return ((lsn - first) / cap) % 2n === 0n ? 1 : 0;
    },
    seqFlipAfter(lsn) {
      return first + ((lsn - first) / cap + 1n) * cap;
    },
    locate(lsn) {
      return { file: name, offset: lsn < first ? 0 : START_OFFSET + Number((lsn - first) % cap) };
    },
  };
}

/**
 * A linear log: bytes at `dataOffset` of `data` hold LSN `firstLsn` onward, no
 * wrap, terminators always 1 (archived segments, a backup log's data area).
 */
export function linearSource(name: string, firstLsn: Lsn, data: Uint8Array | RandomAccess, dataOffset = 0): LogSource {
  const ra = data instanceof Uint8Array ? memoryFile(name, data) : data;
  return {
    name,
    firstLsn,
    async read(lsn, length) {
      if (lsn < firstLsn) {
        throw new LogGapError(`LSN ${formatLsn(lsn)} precedes the first LSN ${formatLsn(firstLsn)} of ${name}`, { file: name });
      }
      const at = dataOffset + Number(lsn - firstLsn);
      if (at >= ra.size) return new Uint8Array(0);
      return ra.read(at, Math.min(length, ra.size - at));
    },
    seqBit: () => 1,
    seqFlipAfter: () => undefined,
    locate: (lsn) => ({ file: name, offset: dataOffset + Number(lsn - firstLsn) }),
  };
}
