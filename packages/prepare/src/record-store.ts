/**
 * Columnar store of page records, without an object per record. Records are
 * kept in log order in typed-array columns allocated once for the batch's
 * capacity (untouched capacity costs no memory: large zeroed buffers are mapped
 * lazily), each with the index of its page and of its mtr; the log bytes stay in
 * the batch buffers they were read into, referenced per mtr. INIT_PAGE /
 * FREE_PAGE discard a page's earlier records by moving the page's `firstLive`
 * record index; dropping a space retires its pages. `sortByPage()` groups the
 * live records by page with a counting sort.
 */
export const PAGE_INIT = 1;
export const PAGE_FREED = 2;
const PAGE_DEAD = 4;

/** Bytes per stored record (all columns). */
export const RECORD_BYTES = 4 + 4 + 1 + 2 + 2 + 4 + 4;

function grow<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** Page-grouped view of the live records: page p's records are perm[start[p] .. start[p + 1]). */
export interface PageOrder {
  readonly perm: Uint32Array;
  readonly start: Uint32Array;
}

export class RecordStore {
  readonly buffers: Uint8Array[] = [];
  bufferBytes = 0;

  // records (log order)
  count = 0;
  readonly capacity: number;
  readonly page: Uint32Array;
  readonly mtr: Uint32Array;
  /** (type & 0x70) | (subtype + 1) */
  readonly code: Uint8Array;
  readonly offset: Uint16Array;
  readonly length: Uint16Array;
  /** WRITE/MEMSET/EXTENDED: data start in the buffer; MEMMOVE: source offset in the page. */
  readonly dataStart: Uint32Array;
  readonly dataEnd: Uint32Array;

  // mtrs: start and end LSN as numbers (exact below 2^53), buffer index
  mtrCount = 0;
  mtrStart = new Float64Array(1024);
  mtrEnd = new Float64Array(1024);
  mtrBuf = new Uint32Array(1024);

  // pages
  pageCount = 0;
  pageSpace = new Uint32Array(256);
  pageNo = new Uint32Array(256);
  firstLive = new Int32Array(256);
  pageFlags = new Uint8Array(256);
  private readonly pageByKey = new Map<number, number>();
  /** Live page indexes per space id. */
  readonly spaces = new Map<number, number[]>();
  private lastKey = -1;
  private lastPage = -1;

  constructor(capacity = 1 << 20) {
    this.capacity = capacity;
    this.page = new Uint32Array(capacity);
    this.mtr = new Uint32Array(capacity);
    this.code = new Uint8Array(capacity);
    this.offset = new Uint16Array(capacity);
    this.length = new Uint16Array(capacity);
    this.dataStart = new Uint32Array(capacity);
    this.dataEnd = new Uint32Array(capacity);
  }

  /** True when fewer than `margin` more records fit. */
  nearlyFull(margin: number): boolean {
    return this.count + margin > this.capacity;
  }

  addBuffer(bytes: Uint8Array): number {
    this.buffers.push(bytes);
    this.bufferBytes += bytes.length;
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
    return i;
  }

  private pageIndex(spaceId: number, pageNo: number): number {
    const key = spaceId * 4294967296 + pageNo;
    if (key === this.lastKey) return this.lastPage;
    let p = this.pageByKey.get(key);
    if (p === undefined) {
      p = this.pageCount++;
      if (p >= this.pageSpace.length) {
        const n = p + 1;
        this.pageSpace = grow(this.pageSpace, n);
        this.pageNo = grow(this.pageNo, n);
        this.firstLive = grow(this.firstLive, n);
        this.pageFlags = grow(this.pageFlags, n);
      }
      this.pageSpace[p] = spaceId;
      this.pageNo[p] = pageNo;
      this.firstLive[p] = 0;
      this.pageFlags[p] = 0;
      this.pageByKey.set(key, p);
      let list = this.spaces.get(spaceId);
      if (!list) this.spaces.set(spaceId, (list = []));
      list.push(p);
    }
    this.lastKey = key;
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
    this.page[r] = p;
    this.mtr[r] = mtr;
    this.code[r] = (type & 0x70) | (subtype + 1);
    this.offset[r] = offset;
    this.length[r] = length;
    this.dataStart[r] = dataStart;
    this.dataEnd[r] = dataEnd;
    if (reset) {
      this.firstLive[p] = r;
      this.pageFlags[p] = reset;
    }
  }

  /** Record type of record r. */
  typeOf(r: number): number {
    return this.code[r]! & 0x70;
  }

  /** EXTENDED subtype of record r (-1 for other types). */
  subtypeOf(r: number): number {
    return (this.code[r]! & 0x0f) - 1;
  }

  /** Retires every collected record of a space (FILE_DELETE, TRIM_PAGES). */
  dropSpace(spaceId: number): void {
    const list = this.spaces.get(spaceId);
    if (!list) return;
    for (const p of list) {
      this.pageFlags[p] = PAGE_DEAD;
      this.pageByKey.delete(this.pageSpace[p]! * 4294967296 + this.pageNo[p]!);
    }
    this.spaces.delete(spaceId);
    this.lastKey = -1;
  }

  /** Approximate heap bytes held: log buffers, columns in use, mtrs and pages. */
  memoryBytes(): number {
    return this.bufferBytes + this.count * RECORD_BYTES + this.mtrCount * 20 + this.pageCount * 80;
  }

  /** Counting sort of the live records by page (log order kept within a page). */
  sortByPage(): PageOrder {
    const n = this.pageCount;
    const start = new Uint32Array(n + 1);
    const page = this.page;
    const first = this.firstLive;
    const flags = this.pageFlags;
    for (let r = 0; r < this.count; r++) {
      const p = page[r]!;
      if (r >= first[p]! && flags[p] !== PAGE_DEAD) start[p + 1]!++;
    }
    for (let p = 0; p < n; p++) start[p + 1]! += start[p]!;
    const fill = start.slice(0, n);
    const perm = new Uint32Array(start[n]!);
    for (let r = 0; r < this.count; r++) {
      const p = page[r]!;
      if (r >= first[p]! && flags[p] !== PAGE_DEAD) perm[fill[p]!++] = r;
    }
    return { perm, start };
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
    for (let r = this.firstLive[p]!; r < this.count; r++) if (this.page[r] === p) out.push(r);
    return out;
  }
}
