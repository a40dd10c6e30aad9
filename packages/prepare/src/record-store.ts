import { MEMMOVE } from '@ibarchive/parser';
import { PageTable } from './page-table.js';
import {
  EMPTY,
  PAGE_DEAD,
  PAGE_FREED,
  PAGE_INIT,
  R_CODE_OFFSET,
  R_INLINE,
  R_MTR,
  RECORD_BYTES,
  RECORD_WORDS,
  sortByPage,
  type PageOrder,
  type WindowMessage,
  type WindowRecords,
} from './window-records.js';

/**
 * Store of page records, without an object per record. Records are kept in
 * log order as fixed-size rows of one Uint32Array (one cache line holds a
 * record's fields, which matters when a page's records are visited across the
 * whole batch), allocated once for the batch's capacity (untouched capacity
 * costs no memory: large zeroed buffers are mapped lazily), each with the
 * index of its page and of its mtr; the log bytes stay in
 * the batch buffers they were read into, referenced per mtr. INIT_PAGE /
 * FREE_PAGE discard a page's earlier records by moving the page's `firstLive`
 * record index; dropping a space retires its pages. `sortByPage()` groups the
 * live records by page with a counting sort.
 */
export {
  PAGE_INIT,
  PAGE_FREED,
  PAGE_DEAD,
  RECORD_WORDS,
  R_PAGE,
  R_MTR,
  R_CODE_OFFSET,
  R_LENGTH,
  R_DATA_START,
  R_DATA_END,
  R_START,
  R_INLINE,
  INLINE_MAX,
  RECORD_BYTES,
} from './window-records.js';

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

  // records (log order), RECORD_WORDS per record
  count = 0;
  readonly capacity: number;
  rec: Uint32Array;
  /** LSN that R_START is relative to (the first mtr's start). */
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
  firstLive = new Int32Array(256);
  /** Live records per page (from firstLive on). */
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
   * `rows`: the rows of a released store, reused when large enough (fresh
   * memory costs a page fault per 4 KiB on first touch). `arena`: log bytes
   * are copied there instead of referenced, so that the read buffers can go
   * and the window can be handed to another thread (both may be shared memory).
   */
  constructor(capacity = 1 << 20, rows?: Uint32Array, arena?: Uint8Array) {
    this.capacity = capacity;
    this.arena = arena;
    this.flat = arena;
    this.rec = rows && rows.length >= capacity * RECORD_WORDS ? rows : new Uint32Array(capacity * RECORD_WORDS);
    // Untouched capacity costs nothing; an mtr averages several records.
    const mtrs = Math.max(1024, capacity >>> 2);
    this.mtrStart = new Float64Array(mtrs);
    this.mtrEnd = new Float64Array(mtrs);
    this.mtrBuf = new Uint32Array(mtrs);
  }

  /** True when fewer than `margin` more records fit. */
  nearlyFull(margin: number): boolean {
    return this.count + margin > this.capacity * this.share;
  }

  /** Part of the capacity and arena the current window may use (see reset). */
  private share = 1;

  /**
   * Keeps the log bytes records point into (offsets stay relative to
   * `bytes`): referenced, or with an arena, `bytes[from..]` copied there
   * (-1 when it has no room left).
   */
  addBuffer(bytes: Uint8Array, from = 0): number {
    let kept = bytes;
    if (this.arena) {
      // The copy of bytes[from..] starts at arena[at]; the view starts `from` bytes earlier, so
      // offsets into `bytes` are offsets into the view (the first copy of a window may waste `from` bytes).
      const at = Math.max(this.arenaUsed, from);
      if (at + bytes.length - from > this.arena.length * this.share && this.mtrCount > 0) return -1;
      if (at + bytes.length - from > this.arena.length) return -1;
      this.arena.set(bytes.subarray(from), at);
      kept = this.arena.subarray(at - from, at - from + bytes.length);
      this.delta = at - from;
      this.arenaUsed = at + bytes.length - from;
    }
    this.buffers.push(kept);
    this.bufferBytes += bytes.length - from;
    return this.buffers.length - 1;
  }

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
        this.firstLive = grow(this.firstLive, n);
        this.liveCount = grow(this.liveCount, n);
        this.pageFlags = grow(this.pageFlags, n);
      }
      this.pageSpace[p] = spaceId;
      this.pageNo[p] = pageNo;
      this.firstLive[p] = 0;
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
    const r = this.count++;
    const p = this.pageIndex(spaceId, pageNo);
    const rec = this.rec;
    const o = r * RECORD_WORDS;
    rec[o] = p;
    rec[o + 1] = mtr;
    rec[o + 2] = (((type & 0x70) | (subtype + 1)) << 16) | offset;
    rec[o + 3] = length;
    // With an arena the data range is made absolute in it (MEMMOVE keeps its source offset there).
    const delta = (type & 0x70) === MEMMOVE ? 0 : this.delta;
    rec[o + 4] = dataStart + delta;
    rec[o + 5] = dataEnd + delta;
    rec[o + 6] = this.mtrStart[mtr]! - this.baseLsn;
    if (reset) {
      this.firstLive[p] = r;
      this.liveCount[p] = 1;
      this.pageFlags[p] = reset;
    } else {
      this.liveCount[p]!++;
    }
  }

  /** Appends a WRITE of at most INLINE_MAX bytes, its data bytes[dataStart, dataEnd) copied into the row. */
  addInlineWrite(spaceId: number, pageNo: number, mtr: number, type: number, offset: number, bytes: Uint8Array, dataStart: number, dataEnd: number): void {
    const r = this.count++;
    const p = this.pageIndex(spaceId, pageNo);
    const rec = this.rec;
    const o = r * RECORD_WORDS;
    let w0 = 0;
    let w1 = 0;
    for (let i = dataStart, k = 0; i < dataEnd; i++, k++) {
      if (k < 4) w0 |= bytes[i]! << (k << 3);
      else w1 |= bytes[i]! << ((k - 4) << 3);
    }
    rec[o] = p;
    rec[o + 1] = mtr;
    rec[o + 2] = R_INLINE | ((type & 0x70) << 16) | offset;
    rec[o + 3] = dataEnd - dataStart;
    rec[o + 4] = w0;
    rec[o + 5] = w1;
    rec[o + 6] = this.mtrStart[mtr]! - this.baseLsn;
    this.liveCount[p]!++;
  }

  /** Record type of record r. */
  typeOf(r: number): number {
    return (this.rec[r * RECORD_WORDS + R_CODE_OFFSET]! >>> 16) & 0x70;
  }

  /** EXTENDED subtype of record r (-1 for other types). */
  subtypeOf(r: number): number {
    return ((this.rec[r * RECORD_WORDS + R_CODE_OFFSET]! >>> 16) & 0x0f) - 1;
  }

  /** mtr index of record r. */
  mtrOf(r: number): number {
    return this.rec[r * RECORD_WORDS + R_MTR]!;
  }

  /** Retires every collected record of a space (FILE_DELETE, TRIM_PAGES). */
  dropSpace(spaceId: number): void {
    const list = this.spaces.get(spaceId);
    if (!list) return;
    for (const p of list) this.pageFlags[p] = PAGE_DEAD;
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
    this.baseLsn = -1;
    this.mtrCount = 0;
    this.pageCount = 0;
    this.pageTable.clear();
    this.spaces.clear();
    this.lastSpace = -1;
    this.lastPageNo = -1;
    this.lastPage = -1;
  }

  /** Drops the rows and log buffers once the batch is applied (the page list stays); returns the rows for reuse. */
  release(): Uint32Array {
    const rows = this.rec;
    this.rec = new Uint32Array(0);
    this.buffers.length = 0;
    this.bufferBytes = 0;
    this.count = 0;
    this.pageTable.clear();
    return rows;
  }

  /** Approximate heap bytes held: log buffers, columns in use, mtrs and pages. */
  memoryBytes(): number {
    // + 4 bytes per record for the permutation of sortByPage()
    return this.bufferBytes + this.count * (RECORD_BYTES + 4) + this.mtrCount * 20 + this.pageCount * 80;
  }

  /** Counting sort of the live records by page (log order kept within a page). */
  sortByPage(): PageOrder {
    return sortByPage(this);
  }

  /**
   * Copies the live rows into `dest` grouped by page (log order kept within a
   * page); returns where each page's rows start (see WindowRecords.start).
   */
  sortInto(dest: Uint32Array): Uint32Array {
    const { start } = sortByPage(this, EMPTY);
    const n = this.pageCount;
    const fill = start.slice(0, n);
    const rec = this.rec;
    const first = this.firstLive;
    const flags = this.pageFlags;
    for (let r = 0, o = 0; r < this.count; r++, o += RECORD_WORDS) {
      const p = rec[o]!;
      if (r < first[p]! || flags[p] === PAGE_DEAD) continue;
      const d = fill[p]!++ * RECORD_WORDS;
      dest[d] = p;
      dest[d + 1] = rec[o + 1]!;
      dest[d + 2] = rec[o + 2]!;
      dest[d + 3] = rec[o + 3]!;
      dest[d + 4] = rec[o + 4]!;
      dest[d + 5] = rec[o + 5]!;
      dest[d + 6] = rec[o + 6]!;
    }
    return start;
  }

  /**
   * The window for another thread; needs an arena, and the arena (and
   * `sorted`, rows grouped by sortInto) in shared memory to be shared rather
   * than copied.
   */
  windowMessage(sorted?: { rows: Uint32Array; start: Uint32Array }): WindowMessage {
    const arena = this.arena!;
    return {
      count: sorted ? sorted.start[this.pageCount]! : this.count,
      rec: sorted ? sorted.rows.subarray(0, sorted.start[this.pageCount]! * RECORD_WORDS) : this.rec.subarray(0, this.count * RECORD_WORDS),
      start: sorted?.start,
      baseLsn: this.baseLsn,
      arena,
      views: this.buffers.map((b) => [b.byteOffset - arena.byteOffset, b.length]),
      mtrStart: this.mtrStart.slice(0, this.mtrCount),
      mtrEnd: this.mtrEnd.slice(0, this.mtrCount),
      mtrBuf: this.mtrBuf.slice(0, this.mtrCount),
      pageCount: this.pageCount,
      pageSpace: this.pageSpace.slice(0, this.pageCount),
      pageNo: this.pageNo.slice(0, this.pageCount),
      firstLive: this.firstLive.slice(0, this.pageCount),
      liveCount: this.liveCount.slice(0, this.pageCount),
      pageFlags: this.pageFlags.slice(0, this.pageCount),
    };
  }

  /** Live page indexes of a space in apply order: page 0 first, then ascending. */
  pagesInOrder(spaceId: number): number[] {
    const list = this.spaces.get(spaceId);
    if (!list) return [];
    return [...list].sort((a, b) => this.pageNo[a]! - this.pageNo[b]!);
  }

  /** Live records of a page in log order (for tests and descriptions). */
  recordsOf(p: number): number[] {
    const out: number[] = [];
    if (this.pageFlags[p] === PAGE_DEAD) return out;
    for (let r = this.firstLive[p]!; r < this.count; r++) if (this.rec[r * RECORD_WORDS] === p) out.push(r);
    return out;
  }
}
