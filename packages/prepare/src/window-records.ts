/**
 * A window of records as the apply reads it (window-apply.ts), whether a
 * RecordStore of this thread or one posted by the decoding thread: the row
 * layout, page order and the message form.
 */

export const PAGE_INIT = 1;
export const PAGE_FREED = 2;
export const PAGE_DEAD = 4;

/**
 * Words of a record row: page index, mtr index, (type | subtype + 1) << 16 |
 * offset, length, data start (MEMMOVE: source offset), data end, mtr start LSN
 * minus the store's base LSN.
 */
export const RECORD_WORDS = 7;
export const R_PAGE = 0;
export const R_MTR = 1;
export const R_CODE_OFFSET = 2;
export const R_LENGTH = 3;
export const R_DATA_START = 4;
export const R_DATA_END = 5;
export const R_START = 6;
/**
 * Flag in the R_CODE_OFFSET word: a WRITE of at most 8 bytes whose data is in
 * the row itself (R_DATA_START: bytes 0..3, R_DATA_END: bytes 4..7, first byte
 * lowest), so that applying it does not touch the log buffer.
 */
export const R_INLINE = 0x80 << 16;
/** Longest WRITE kept in the row. */
export const INLINE_MAX = 8;
/** Bytes per stored record. */
export const RECORD_BYTES = RECORD_WORDS * 4;

/** Page-grouped view of the live records: page p's records are perm[start[p] .. start[p + 1]). */
export interface PageOrder {
  readonly perm: Uint32Array;
  readonly start: Uint32Array;
}

/** What applying a window reads: a RecordStore, or one received from another thread (windowMessage). */
export interface WindowRecords {
  readonly count: number;
  readonly rec: Uint32Array;
  readonly baseLsn: number;
  readonly buffers: readonly Uint8Array[];
  readonly mtrStart: Float64Array;
  readonly mtrEnd: Float64Array;
  readonly mtrBuf: Uint32Array;
  readonly pageCount: number;
  readonly pageSpace: Uint32Array;
  readonly pageNo: Uint32Array;
  readonly firstLive: Int32Array;
  readonly liveCount: Uint32Array;
  readonly pageFlags: Uint8Array;
  /** When set, every row's data range is an offset into this one array (not into `buffers[mtrBuf]`). */
  readonly flat?: Uint8Array | undefined;
  /** When set, `rec` holds only the live rows grouped by page: page p's are rows [start[p], start[p + 1]). */
  readonly start?: Uint32Array | undefined;
}

/** A window as posted to another thread: rows and arena stay in shared memory, the small columns are copied. */
export interface WindowMessage extends Omit<WindowRecords, 'buffers' | 'flat'> {
  readonly arena: Uint8Array;
  /** Start and length of each buffer view within the arena. */
  readonly views: Array<[number, number]>;
}

/** Passed as `spare` to sortByPage when only `start` is wanted. */
export const EMPTY = new Uint32Array(0);

/** Counting sort of a window's live records by page (log order kept within a page). */
export function sortByPage(w: WindowRecords, spare?: Uint32Array): PageOrder {
  const n = w.pageCount;
  const start = new Uint32Array(n + 1);
  const rec = w.rec;
  const first = w.firstLive;
  const flags = w.pageFlags;
  for (let p = 0; p < n; p++) start[p + 1] = start[p]! + (flags[p] === PAGE_DEAD ? 0 : w.liveCount[p]!);
  if (spare === EMPTY) return { perm: EMPTY, start };
  const fill = start.slice(0, n);
  const perm = spare && spare.length >= start[n]! ? spare : new Uint32Array(start[n]!);
  for (let r = 0; r < w.count; r++) {
    const p = rec[r * RECORD_WORDS]!;
    if (r >= first[p]! && flags[p] !== PAGE_DEAD) perm[fill[p]!++] = r;
  }
  return { perm, start };
}

/** The window received from windowMessage(). */
export function windowFromMessage(m: WindowMessage): WindowRecords {
  return { ...m, flat: m.arena, buffers: m.views.map(([at, len]) => m.arena.subarray(at, at + len)) };
}
