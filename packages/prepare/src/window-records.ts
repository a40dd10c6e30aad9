/**
 * A window of records as the apply reads it (window-apply.ts), whether a
 * RecordStore of this thread or one posted by the decoding thread: the row
 * layout, page order and the message form.
 */

export const PAGE_INIT = 1;
export const PAGE_FREED = 2;
export const PAGE_DEAD = 4;

/**
 * Words of a record row: mtr index, (type | subtype + 1) << 16 | offset,
 * length, data start (MEMMOVE: source offset), data end. The mtr's start LSN
 * is in the window's mtr columns.
 */
export const RECORD_WORDS = 5;
export const R_MTR = 0;
export const R_CODE_OFFSET = 1;
export const R_LENGTH = 2;
export const R_DATA_START = 3;
export const R_DATA_END = 4;
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
/**
 * Rows per block. A page's records are a chain of blocks (all full but the
 * last), so that they are grouped by page as they are added and a page that
 * INIT_PAGE / FREE_PAGE resets gives its blocks back at once. On the bench,
 * blocks of 4 / 8 / 16 / 32 rows took a median 3.44 / 3.47 / 3.6 / 3.95 s.
 */
export const BLOCK_ROWS = 8;
export const BLOCK_WORDS = BLOCK_ROWS * RECORD_WORDS;

/** What applying a window reads: a RecordStore, or one received from another thread (windowMessage). */
export interface WindowRecords {
  /** Records added to the window (live or not). */
  readonly count: number;
  /** Rows, in blocks of BLOCK_ROWS. */
  readonly rec: Uint32Array;
  /** Next block of a chain, or -1. */
  readonly next: Int32Array;
  readonly baseLsn: number;
  readonly buffers: readonly Uint8Array[];
  readonly mtrStart: Float64Array;
  readonly mtrEnd: Float64Array;
  readonly mtrBuf: Uint32Array;
  /** Mtrs in the window (mtrStart / mtrEnd / mtrBuf entries). */
  readonly mtrCount: number;
  readonly pageCount: number;
  readonly pageSpace: Uint32Array;
  readonly pageNo: Uint32Array;
  /** First block of the page's live records (valid when liveCount > 0). */
  readonly head: Int32Array;
  /** Live records of the page, in log order along its chain. */
  readonly liveCount: Uint32Array;
  readonly pageFlags: Uint8Array;
  /** When set, every row's data range is an offset into this one array (not into `buffers[mtrBuf]`). */
  readonly flat?: Uint8Array | undefined;
}

/** A window as posted to another thread: rows, chains and arena stay in shared memory, the small columns are copied. */
export interface WindowMessage extends Omit<WindowRecords, 'buffers' | 'flat'> {
  readonly arena: Uint8Array;
  /** Start and length of each buffer view within the arena. */
  readonly views: Array<[number, number]>;
}

/** Word offsets of the live rows of page p, in log order. */
export function rowsOf(w: WindowRecords, p: number): number[] {
  const out: number[] = [];
  if (w.pageFlags[p] === PAGE_DEAD) return out;
  let b = w.head[p]!;
  for (let i = 0, k = 0; i < w.liveCount[p]!; i++, k++) {
    if (k === BLOCK_ROWS) {
      b = w.next[b]!;
      k = 0;
    }
    out.push(b * BLOCK_WORDS + k * RECORD_WORDS);
  }
  return out;
}

/** The window received from windowMessage(). */
export function windowFromMessage(m: WindowMessage): WindowRecords {
  return { ...m, flat: m.arena, buffers: m.views.map(([at, len]) => m.arena.subarray(at, at + len)) };
}
