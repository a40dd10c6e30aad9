/** Page numbers below this are looked up in a dense array (4 bytes per page up to the highest seen). */
const DENSE_LIMIT = 1 << 22;

/** Index of each (space id, page number) pair, without a hashed double key per lookup. */
export class PageTable {
  /** Per space: slot pageNo holds page index + 1 (0: none). */
  private readonly dense = new Map<number, Int32Array>();
  /** Pages at or beyond DENSE_LIMIT (none in practice). */
  private readonly sparse = new Map<number, Map<number, number>>();
  private lastSpace = -1;
  private lastArray: Int32Array = new Int32Array(0);

  /** Page index of (space, page), or -1. */
  get(spaceId: number, pageNo: number): number {
    if (pageNo >= DENSE_LIMIT) return this.sparse.get(spaceId)?.get(pageNo) ?? -1;
    const a = spaceId === this.lastSpace ? this.lastArray : this.arrayOf(spaceId);
    return pageNo < a.length ? a[pageNo]! - 1 : -1;
  }

  set(spaceId: number, pageNo: number, index: number): void {
    if (pageNo >= DENSE_LIMIT) {
      let m = this.sparse.get(spaceId);
      if (!m) this.sparse.set(spaceId, (m = new Map()));
      m.set(pageNo, index);
      return;
    }
    let a = this.arrayOf(spaceId);
    if (pageNo >= a.length) {
      let n = Math.max(64, a.length * 2);
      while (n <= pageNo) n *= 2;
      const b = new Int32Array(Math.min(n, DENSE_LIMIT));
      b.set(a);
      this.dense.set(spaceId, (a = b));
      this.lastSpace = spaceId;
      this.lastArray = b;
    }
    a[pageNo] = index + 1;
  }

  /** Forgets every page of a space. */
  deleteSpace(spaceId: number): void {
    this.dense.delete(spaceId);
    this.sparse.delete(spaceId);
    this.lastSpace = -1;
  }

  clear(): void {
    this.dense.clear();
    this.sparse.clear();
    this.lastSpace = -1;
  }

  private arrayOf(spaceId: number): Int32Array {
    let a = this.dense.get(spaceId);
    if (!a) this.dense.set(spaceId, (a = new Int32Array(0)));
    this.lastSpace = spaceId;
    this.lastArray = a;
    return a;
  }
}
