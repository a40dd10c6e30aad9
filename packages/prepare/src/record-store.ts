/**
 * Columnar store of page records, without an object per record: typed-array
 * columns (grown by doubling) hold each record's decoded fields, the index of
 * its log buffer and of its mtr; records of one page form a singly linked
 * chain (`next`) in log order. The log bytes stay in the batch buffers they
 * were read into (`buffers`), referenced by index.
 */
export const PAGE_INIT = 1;
export const PAGE_FREED = 2;

function grow<T extends Uint8Array | Int16Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

export class RecordStore {
  readonly buffers: Uint8Array[] = [];
  bufferBytes = 0;

  // records
  count = 0;
  type = new Uint8Array(1024);
  subtype = new Int16Array(1024);
  recStart = new Uint32Array(1024);
  recEnd = new Uint32Array(1024);
  buf = new Uint32Array(1024);
  offset = new Uint32Array(1024);
  length = new Uint32Array(1024);
  source = new Uint32Array(1024);
  dataStart = new Uint32Array(1024);
  dataEnd = new Uint32Array(1024);
  mtr = new Uint32Array(1024);
  next = new Int32Array(1024);

  // mtrs: start and end LSN as numbers (exact below 2^53, checked on entry)
  mtrCount = 0;
  mtrStart = new Float64Array(256);
  mtrEnd = new Float64Array(256);

  // pages
  pageCount = 0;
  pageSpace = new Uint32Array(256);
  pageNo = new Uint32Array(256);
  head = new Int32Array(256);
  tail = new Int32Array(256);
  pageFlags = new Uint8Array(256);
  /** Live pages per space id: page number -> page index. */
  readonly spaces = new Map<number, Map<number, number>>();
  /** Records reachable from live pages (discarded ones excluded). */
  liveRecords = 0;

  addBuffer(bytes: Uint8Array): number {
    this.buffers.push(bytes);
    this.bufferBytes += bytes.length;
    return this.buffers.length - 1;
  }

  addMtr(start: number, end: number): number {
    const i = this.mtrCount++;
    if (i >= this.mtrStart.length) {
      this.mtrStart = grow(this.mtrStart, i + 1);
      this.mtrEnd = grow(this.mtrEnd, i + 1);
    }
    this.mtrStart[i] = start;
    this.mtrEnd[i] = end;
    return i;
  }

  private page(spaceId: number, pageNo: number): number {
    let pages = this.spaces.get(spaceId);
    if (!pages) this.spaces.set(spaceId, (pages = new Map()));
    let p = pages.get(pageNo);
    if (p !== undefined) return p;
    p = this.pageCount++;
    if (p >= this.pageSpace.length) {
      const n = p + 1;
      this.pageSpace = grow(this.pageSpace, n);
      this.pageNo = grow(this.pageNo, n);
      this.head = grow(this.head, n);
      this.tail = grow(this.tail, n);
      this.pageFlags = grow(this.pageFlags, n);
    }
    this.pageSpace[p] = spaceId;
    this.pageNo[p] = pageNo;
    this.head[p] = -1;
    this.tail[p] = -1;
    this.pageFlags[p] = 0;
    pages.set(pageNo, p);
    return p;
  }

  /** Length of a page's chain. */
  chainLength(p: number): number {
    let n = 0;
    for (let r = this.head[p]!; r >= 0; r = this.next[r]!) n++;
    return n;
  }

  /**
   * Appends a record to its page's chain. `reset` (INIT_PAGE / FREE_PAGE)
   * first discards every record collected for the page, including earlier
   * records of the same mtr, and marks the page init/freed.
   */
  add(
    spaceId: number,
    pageNo: number,
    mtr: number,
    buf: number,
    type: number,
    subtype: number,
    recStart: number,
    recEnd: number,
    offset: number,
    length: number,
    source: number,
    dataStart: number,
    dataEnd: number,
    reset: 0 | typeof PAGE_INIT | typeof PAGE_FREED,
  ): void {
    const r = this.count++;
    if (r >= this.type.length) {
      const n = r + 1;
      this.type = grow(this.type, n);
      this.subtype = grow(this.subtype, n);
      this.recStart = grow(this.recStart, n);
      this.recEnd = grow(this.recEnd, n);
      this.buf = grow(this.buf, n);
      this.offset = grow(this.offset, n);
      this.length = grow(this.length, n);
      this.source = grow(this.source, n);
      this.dataStart = grow(this.dataStart, n);
      this.dataEnd = grow(this.dataEnd, n);
      this.mtr = grow(this.mtr, n);
      this.next = grow(this.next, n);
    }
    this.type[r] = type;
    this.subtype[r] = subtype;
    this.recStart[r] = recStart;
    this.recEnd[r] = recEnd;
    this.buf[r] = buf;
    this.offset[r] = offset;
    this.length[r] = length;
    this.source[r] = source;
    this.dataStart[r] = dataStart;
    this.dataEnd[r] = dataEnd;
    this.mtr[r] = mtr;
    this.next[r] = -1;
    const p = this.page(spaceId, pageNo);
    if (reset) {
      this.liveRecords -= this.chainLength(p);
      this.head[p] = r;
      this.pageFlags[p] = reset;
    } else if (this.tail[p]! < 0) {
      this.head[p] = r;
    } else {
      this.next[this.tail[p]!] = r;
    }
    this.tail[p] = r;
    this.liveRecords++;
  }

  /** Drops every collected record of a space (FILE_DELETE, TRIM_PAGES). */
  dropSpace(spaceId: number): void {
    const pages = this.spaces.get(spaceId);
    if (!pages) return;
    for (const p of pages.values()) this.liveRecords -= this.chainLength(p);
    this.spaces.delete(spaceId);
  }

  /** Approximate heap bytes held: log buffers, columns and page maps. */
  memoryBytes(): number {
    return this.bufferBytes + this.type.length * 47 + this.mtrStart.length * 16 + this.pageSpace.length * 17 + this.pageCount * 60;
  }

  /** Page indexes of a space in apply order: page 0 first, then ascending. */
  pagesInOrder(spaceId: number): number[] {
    const pages = this.spaces.get(spaceId);
    if (!pages) return [];
    return [...pages.keys()].sort((a, b) => a - b).map((n) => pages.get(n)!);
  }
}
