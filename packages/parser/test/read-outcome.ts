import type { ExecutionContext } from 'ava';
import { IbarchiveError, type LogEnd, type LogSource, type ReadMtrOptions, readMtrBatches } from '../src/index.js';

/** Everything readMtrBatches produced, flattened to mtrs (independent of how they were grouped in batches). */
export interface ReadResult {
  /** LSN, records length, total length of each mtr. */
  mtrs: [bigint, number, number][];
  /** All mtr bytes, concatenated (copied while each batch was current). */
  bytes: Buffer;
  end: LogEnd;
  /** Items yielded after the LogEnd (must be 0). */
  afterEnd: number;
}

/** A read that threw: the error's class and the fields that name the spot. */
export interface ReadError {
  error: string;
  message: string;
  lsn: bigint | undefined;
  file: string | undefined;
  offset: number | bigint | undefined;
}

/** Reads from `from` to the end and flattens the result. */
export async function readAll(source: LogSource, from: bigint, options: ReadMtrOptions = {}): Promise<ReadResult> {
  const mtrs: [bigint, number, number][] = [];
  const parts: Buffer[] = [];
  let end: LogEnd | undefined;
  let afterEnd = 0;
  for await (const b of readMtrBatches(source, from, options)) {
    if (end !== undefined) afterEnd++;
    if (b.kind === 'end') {
      end = b;
      continue;
    }
    for (let i = 0; i < b.count; i++) {
      const s = b.starts[i]!;
      mtrs.push([b.lsn + BigInt(s), b.recordsEnds[i]! - s, b.ends[i]! - s]);
      parts.push(Buffer.from(b.bytes.subarray(s, b.ends[i]!)));
    }
  }
  if (end === undefined) throw new Error('no LogEnd');
  return { mtrs, bytes: Buffer.concat(parts), end, afterEnd };
}

/** readAll, or the typed error it threw. */
export async function outcome(source: LogSource, from: bigint, options: ReadMtrOptions = {}): Promise<ReadResult | ReadError> {
  try {
    return await readAll(source, from, options);
  } catch (e) {
    if (!(e instanceof IbarchiveError)) throw e;
    return { error: e.constructor.name, message: e.message, lsn: e.lsn, file: e.file, offset: e.offset };
  }
}

/** The ways of reading with the worker that must give the single-thread result. */
export const WORKER_VARIANTS: ReadMtrOptions[] = [{ worker: true }, { worker: true, reuseWindows: true }];

/**
 * Asserts two outcomes are the same (deepEqual over 10^4 mtrs is slow in ava,
 * so mtrs are compared here and the first difference is reported).
 */
export function assertSameOutcome(t: ExecutionContext, got: ReadResult | ReadError, want: ReadResult | ReadError, what: string): void {
  if ('error' in got || 'error' in want) {
    t.deepEqual(got, want, what);
    return;
  }
  const n = Math.max(got.mtrs.length, want.mtrs.length);
  let diff = -1;
  for (let i = 0; i < n && diff < 0; i++) {
    const a = got.mtrs[i];
    const b = want.mtrs[i];
    if (a === undefined || b === undefined || a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]) diff = i;
  }
  t.is(diff, -1, `${what}: first different mtr ${diff} (${got.mtrs[diff]} vs ${want.mtrs[diff]}), counts ${got.mtrs.length} vs ${want.mtrs.length}`);
  t.true(got.bytes.equals(want.bytes), `${what}: mtr bytes`);
  t.deepEqual(got.end, want.end, `${what}: end`);
  t.is(got.afterEnd, want.afterEnd, `${what}: items after the end`);
}
