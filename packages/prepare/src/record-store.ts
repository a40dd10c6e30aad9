import { IbarchiveError, MEMMOVE } from '@ibarchive/parser';
import { PageTable } from './page-table.js';
import {
  BLOCK_ROWS,
  BLOCK_WORDS,
  PAGE_DEAD,
  PAGE_FREED,
  PAGE_INIT,
  R_CODE_OFFSET,
  R_DATA_END,
  R_DATA_START,
  R_INLINE,
  R_LENGTH,
  R_MTR,
  RECORD_WORDS,
  rowsOf,
  type WindowMessage,
  type WindowRecords,
} from './window-records.js';

/**
 * Store of page records, without an object per record: fixed-size rows of
 * one Uint32Array, in blocks of BLOCK_ROWS chained per page, so that records
 * are grouped by page as they are added (log order along the chain) and no
 * sort is needed before applying. INIT_PAGE / FREE_PAGE give the page's
 * earlier blocks back (most records of a long log are voided this way, so
 * the memory a window touches stays small); dropping a space retires its
 * pages. Each row holds its mtr index; the log bytes stay in the buffers
 * they were read into, referenced per mtr, or are copied into an arena.
 */
export {
  PAGE_INIT,
  PAGE_FREED,
  PAGE_DEAD,
  RECORD_WORDS,
  R_MTR,
  R_CODE_OFFSET,
  R_LENGTH,
  R_DATA_START,
  R_DATA_END,
  R_INLINE,
  INLINE_MAX,
  RECORD_BYTES,
  BLOCK_ROWS,
} from './window-records.js';

/** Fewest bytes of an mtr: a 1-byte record, the terminator and the CRC-32C. */
const MIN_MTR_BYTES = 6;

function grow<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

export class RecordStore implements WindowRecords {
  readonly buffers: Uint8Array[] = [];
  bufferBytes = 0;

  /** Records added to this window (voided ones included). */
  count = 0;
  /** Rows the store can hold (a multiple of BLOCK_ROWS). */
  readonly capacity: number;
  readonly rec: Uint32Array;
  readonly next: Int32Array;
  private readonly blocks: number;
  /** Blocks taken from the never-used end of `rec`; a LIFO list of blocks given back (reused first, still in cache). */
  private bump = 0;
  private freeHead = -1;
  private freeBlocks = 0;
  /** Start LSN of the window's first mtr. */
  baseLsn = -1;

  // mtrs: start and end LSN as numbers (exact below 2^53), buffer index
  mtrCount = 0;
  mtrStart: Float64Array;
  mtrEnd: Float64Array;
  mtrBuf: Uint32Array;

  // pages
  pageCount = 0;
  pageSpace = new Uint32Array(256);
  pageNo = new Uint32Array(256);
  head = new Int32Array(256);
  private tail = new Int32Array(256);
  liveCount = new Uint32Array(256);
  pageFlags = new Uint8Array(256);
  private readonly pageTable = new PageTable();
  /** Live page indexes per space id. */
  readonly spaces = new Map<number, number[]>();
  private lastSpace = -1;
  private lastPageNo = -1;
  private lastPage = -1;

  /** Where the log bytes of the window are copied (see addBuffer); bytes used. */
  readonly arena: Uint8Array | undefined;
  arenaUsed = 0;
  /** With an arena, data ranges of rows are offsets into it (see WindowRecords.flat). */
  readonly flat: Uint8Array | undefined;
  /** Offset in the arena of the buffer records are being added from. */
  private delta = 0;

  /**
   * `capacity`: rows (rounded up to whole blocks; untouched capacity costs
   * no memory, large zeroed buffers are mapped lazily). `arena`: log bytes
   * are copied there instead of referenced, so that the read buffers can go
   * and the window can be handed to another thread; with `shared`, rows and
   * chains are shared memory too.
   */
  constructor(capacity = 1 << 20, arena?: Uint8Array, shared = false) {
    this.blocks = Math.max(1, Math.ceil(capacity / BLOCK_ROWS));
    this.capacity = this.blocks * BLOCK_ROWS;
    this.arena = arena;
    this.flat = arena;
    const words = this.blocks * BLOCK_WORDS;
    this.rec = new Uint32Array(shared ? new SharedArrayBuffer(words * 4) : new ArrayBuffer(words * 4));
    this.next = new Int32Array(shared ? new SharedArrayBuffer(this.blocks * 4) : new ArrayBuffer(this.blocks * 4));
    // Untouched capacity costs nothing. Shared: room for every mtr the arena can hold (an mtr takes
    // at least MIN_MTR_BYTES), so the columns never grow and are posted without a copy.
    const mtrs = shared && arena ? Math.ceil(arena.length / MIN_MTR_BYTES) + 1 : Math.max(1024, capacity >>> 2);
    const column = (bytes: number) => (shared ? new SharedArrayBuffer(mtrs * bytes) : new ArrayBuffer(mtrs * bytes));
    this.mtrStart = new Float64Array(column(8));
    this.mtrEnd = new Float64Array(column(8));
    this.mtrBuf = new Uint32Array(column(4));
  }

  /** True when `margin` more records might not fit (each could start a block). */
  nearlyFull(margin: number): boolean {
    return this.bump - this.freeBlocks + margin > this.blocks * this.share;
  }

  /** Part of the capacity and arena the current window may use (see reset). */
  private share = 1;

  /**
   * Keeps the log bytes records point into: referenced (row offsets stay
   * relative to `bytes`), or with an arena, as much of `bytes[from..]` as the
   * window has room for copied there (-1 when it has no room left); rows then
   * hold offsets into the arena (`flat`) and `buffers` only tells which parts
   * of it hold log. Mtrs ending after `keptEnd` cannot be added from this buffer.
   */
  addBuffer(bytes: Uint8Array, from = 0): number {
    let kept = bytes;
    this.keptEnd = bytes.length;
    if (this.arena) {
      // The copy starts at the same address mod 8 as its source: V8 copies into shared memory with
      // relaxed atomic moves, word by word when both sides align alike (6 GB/s here), else byte by
      // byte (2.1 GB/s): 0.18 s of the decoding thread on the bench.
      const at = this.arenaUsed + ((bytes.byteOffset + from - this.arena.byteOffset - this.arenaUsed) & 7);
      const limit = this.mtrCount > 0 ? Math.floor(this.arena.length * this.share) : this.arena.length;
      const n = Math.min(bytes.length - from, limit - at);
      if (n <= 0) return -1;
      this.arena.set(bytes.subarray(from, from + n), at);
      kept = this.arena.subarray(at, at + n);
      // bytes[i] is arena[i + delta] (delta < 0 when the copy starts later in `bytes` than in the arena).
      this.delta = at - from;
      this.arenaUsed = at + n;
      this.keptEnd = from + n;
    }
    this.buffers.push(kept);
    this.bufferBytes += this.keptEnd - from;
    return this.buffers.length - 1;
  }

  /** End (in the coordinates of the last buffer added) of the bytes kept from it. */
  keptEnd = 0;

  addMtr(start: number, end: number, buf: number): number {
    const i = this.mtrCount++;
    if (i >= this.mtrStart.length) {
      this.mtrStart = grow(this.mtrStart, i + 1);
      this.mtrEnd = grow(this.mtrEnd, i + 1);
      this.mtrBuf = grow(this.mtrBuf, i + 1);
    }
    this.mtrStart[i] = start;
    this.mtrEnd[i] = end;
    this.mtrBuf[i] = buf;
    if (this.baseLsn < 0) this.baseLsn = start;
    return i;
  }

  private pageIndex(spaceId: number, pageNo: number): number {
    if (pageNo === this.lastPageNo && spaceId === this.lastSpace) return this.lastPage;
    let p = this.pageTable.get(spaceId, pageNo);
    if (p < 0) {
      p = this.pageCount++;
      if (p >= this.pageSpace.length) {
        const n = p + 1;
        this.pageSpace = grow(this.pageSpace, n);
        this.pageNo = grow(this.pageNo, n);
        this.head = grow(this.head, n);
        this.tail = grow(this.tail, n);
        this.liveCount = grow(this.liveCount, n);
        this.pageFlags = grow(this.pageFlags, n);
      }
      this.pageSpace[p] = spaceId;
      this.pageNo[p] = pageNo;
      this.liveCount[p] = 0;
      this.pageFlags[p] = 0;
      this.pageTable.set(spaceId, pageNo, p);
      let list = this.spaces.get(spaceId);
      if (!list) this.spaces.set(spaceId, (list = []));
      list.push(p);
    }
    this.lastSpace = spaceId;
    this.lastPageNo = pageNo;
    this.lastPage = p;
    return p;
  }

  /** Gives page p's blocks back (all of them: the chain is head..tail). */
  private freeChain(p: number): void {
    const n = this.liveCount[p]!;
    if (n === 0) return;
    this.next[this.tail[p]!] = this.freeHead;
    this.freeHead = this.head[p]!;
    this.freeBlocks += Math.ceil(n / BLOCK_ROWS);
    this.liveCount[p] = 0;
  }

  /** Word offset of a new row at the end of page p's chain. */
  private rowFor(p: number): number {
    const n = this.liveCount[p]!;
    const k = n % BLOCK_ROWS;
    if (k !== 0) {
      this.liveCount[p] = n + 1;
      return this.tail[p]! * BLOCK_WORDS + k * RECORD_WORDS;
    }
    let b = this.freeHead;
    if (b >= 0) {
      this.freeHead = this.next[b]!;
      this.freeBlocks--;
    } else {
      if (this.bump >= this.blocks) {
        const lsn = BigInt(this.mtrStart[this.mtrCount - 1]!);
        throw new IbarchiveError('refused', `an mtr touches more pages than a window of ${this.capacity} records holds; give prepare more --use-memory`, { lsn });
      }
      b = this.bump++;
    }
    this.next[b] = -1;
    if (n === 0) this.head[p] = b;
    else this.next[this.tail[p]!] = b;
    this.tail[p] = b;
    this.liveCount[p] = n + 1;
    return b * BLOCK_WORDS;
  }

  /**
   * Appends a record. `reset` (INIT_PAGE / FREE_PAGE) first discards every
   * record collected for the page, including earlier records of the same mtr,
   * and marks the page init/freed.
   */
  add(
    spaceId: number,
    pageNo: number,
    mtr: number,
    type: number,
    subtype: number,
    offset: number,
    length: number,
    dataStart: number,
    dataEnd: number,
    reset: 0 | typeof PAGE_INIT | typeof PAGE_FREED,
  ): void {
    this.count++;
    const p = this.pageIndex(spaceId, pageNo);
    if (reset) {
      this.freeChain(p);
      this.pageFlags[p] = reset;
    }
    const o = this.rowFor(p);
    const rec = this.rec;
    rec[o + R_MTR] = mtr;
    rec[o + R_CODE_OFFSET] = (((type & 0x70) | (subtype + 1)) << 16) | offset;
    rec[o + R_LENGTH] = length;
    // With an arena the data range is made absolute in it (MEMMOVE keeps its source offset there).
    const delta = (type & 0x70) === MEMMOVE ? 0 : this.delta;
    rec[o + R_DATA_START] = dataStart + delta;
    rec[o + R_DATA_END] = dataEnd + delta;
  }

  /** Appends a WRITE of at most INLINE_MAX bytes, its data bytes[dataStart, dataEnd) copied into the row. */
  addInlineWrite(spaceId: number, pageNo: number, mtr: number, type: number, offset: number, bytes: Uint8Array, dataStart: number, dataEnd: number): void {
    this.count++;
    const p = this.pageIndex(spaceId, pageNo);
    const o = this.rowFor(p);
    const rec = this.rec;
    let w0 = 0;
    let w1 = 0;
    for (let i = dataStart, k = 0; i < dataEnd; i++, k++) {
      if (k < 4) w0 |= bytes[i]! << (k << 3);
      else w1 |= bytes[i]! << ((k - 4) << 3);
    }
    rec[o + R_MTR] = mtr;
    rec[o + R_CODE_OFFSET] = R_INLINE | ((type & 0x70) << 16) | offset;
    rec[o + R_LENGTH] = dataEnd - dataStart;
    rec[o + R_DATA_START] = w0;
    rec[o + R_DATA_END] = w1;
  }

  /** Record type of the row at word offset o. */
  typeOf(o: number): number {
    return (this.rec[o + R_CODE_OFFSET]! >>> 16) & 0x70;
  }

  /** EXTENDED subtype of the row at word offset o (-1 for other types). */
  subtypeOf(o: number): number {
    return ((this.rec[o + R_CODE_OFFSET]! >>> 16) & 0x0f) - 1;
  }

  /** mtr index of the row at word offset o. */
  mtrOf(o: number): number {
    return this.rec[o + R_MTR]!;
  }

  /** Retires every collected record of a space (FILE_DELETE, TRIM_PAGES). */
  dropSpace(spaceId: number): void {
    const list = this.spaces.get(spaceId);
    if (!list) return;
    for (const p of list) {
      this.freeChain(p);
      this.pageFlags[p] = PAGE_DEAD;
    }
    this.pageTable.deleteSpace(spaceId);
    this.spaces.delete(spaceId);
    this.lastSpace = -1;
  }

  /**
   * Empties the store for the next window, keeping rows, arena and columns;
   * the window may use `share` (0..1] of them (a pipeline starts with short
   * windows so that the next stage starts early).
   */
  reset(share = 1): void {
    this.share = share;
    this.buffers.length = 0;
    this.bufferBytes = 0;
    this.arenaUsed = 0;
    this.delta = 0;
    this.count = 0;
    this.bump = 0;
    this.freeHead = -1;
    this.freeBlocks = 0;
    this.baseLsn = -1;
    this.mtrCount = 0;
    this.pageCount = 0;
    this.pageTable.clear();
    this.spaces.clear();
    this.lastSpace = -1;
    this.lastPageNo = -1;
    this.lastPage = -1;
  }

  /** Live records in all. */
  liveRecords(): number {
    let n = 0;
    for (let p = 0; p < this.pageCount; p++) if (this.pageFlags[p] !== PAGE_DEAD) n += this.liveCount[p]!;
    return n;
  }

  /**
   * The window for another thread; needs an arena, and the arena, rows and
   * chains in shared memory to be shared rather than copied.
   */
  windowMessage(): WindowMessage {
    const arena = this.arena!;
    const n = this.pageCount;
    return {
      count: this.count,
      rec: this.rec,
      next: this.next,
      baseLsn: this.baseLsn,
      arena,
      views: this.buffers.map((b) => [b.byteOffset - arena.byteOffset, b.length]),
      mtrStart: this.mtrStart,
      mtrEnd: this.mtrEnd,
      mtrBuf: this.mtrBuf,
      mtrCount: this.mtrCount,
      pageCount: n,
      pageSpace: this.pageSpace.slice(0, n),
      pageNo: this.pageNo.slice(0, n),
      head: this.head.slice(0, n),
      liveCount: this.liveCount.slice(0, n),
      pageFlags: this.pageFlags.slice(0, n),
    };
  }

  /** Live page indexes of a space in apply order: page 0 first, then ascending. */
  pagesInOrder(spaceId: number): number[] {
    const list = this.spaces.get(spaceId);
    if (!list) return [];
    return [...list].sort((a, b) => this.pageNo[a]! - this.pageNo[b]!);
  }

  /** Word offsets of the live records of a page in log order (for tests and descriptions). */
  recordsOf(p: number): number[] {
    return rowsOf(this, p);
  }
}
