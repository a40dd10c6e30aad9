import { PageTable } from './page-table.js';

/** Page table marks besides slot numbers. */
export const PAGE_DONE = -2;
export const PAGE_DEFERRED = -3;

/** Slot states. */
export const SLOT_LOADED = 1;
export const SLOT_INIT = 2;
export const SLOT_FREED = 4;
export const SLOT_BROKEN = 8;

/** Pages per arena chunk: memory is taken as pages are first used, not up front. */
const CHUNK_PAGES = 512;

/**
 * The pages one streaming pass applies, in memory (a buffer pool without
 * eviction): up to `maxSlots` page images in arena chunks, and per slot its
 * page id, the FIL_PAGE_LSN read from disk (the page-LSN rule compares with
 * it), the end LSN of the last record applied (-1: nothing to write) and a
 * state. Pages that find no free slot are marked deferred: a later pass
 * applies them. Pages written by an earlier pass stay marked done.
 */
export class PageCache {
  readonly table = new PageTable();
  private readonly chunks: Uint8Array[] = [];
  private readonly views: Uint8Array[] = [];
  count = 0;
  space: Uint32Array;
  pageNo: Uint32Array;
  diskLsn: Float64Array;
  lastEnd: Float64Array;
  state: Uint8Array;
  /** Slot numbers per space id (this pass). */
  readonly bySpace = new Map<number, number[]>();
  /** Slots freed by a dropped space, reused first. */
  private readonly free: number[] = [];
  /** Pages deferred in this pass, as space/page pairs. */
  private deferredPages: number[] = [];

  constructor(
    readonly pageSize: number,
    readonly maxSlots: number,
    /** Page images in shared memory (another thread writes them). */
    readonly shared = false,
  ) {
    const n = Math.min(maxSlots, 4096);
    this.space = new Uint32Array(n);
    this.pageNo = new Uint32Array(n);
    this.diskLsn = new Float64Array(n);
    this.lastEnd = new Float64Array(n);
    this.state = new Uint8Array(n);
  }

  get full(): boolean {
    return this.free.length === 0 && this.count >= this.maxSlots;
  }

  /** Bytes of page images held. */
  get bytes(): number {
    return this.chunks.length * CHUNK_PAGES * this.pageSize;
  }

  page(slot: number): Uint8Array {
    return this.views[slot]!;
  }

  /** A slot for (space, page), its image not initialised; the caller checks `full` first. */
  alloc(spaceId: number, pageNo: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.count++;
      if (slot >= this.space.length) this.growMeta(slot + 1);
      if (slot >= this.views.length) {
        const bytes = CHUNK_PAGES * this.pageSize;
        const chunk = new Uint8Array(this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
        this.chunks.push(chunk);
        for (let i = 0; i < CHUNK_PAGES; i++) this.views.push(chunk.subarray(i * this.pageSize, (i + 1) * this.pageSize));
      }
    }
    this.space[slot] = spaceId;
    this.pageNo[slot] = pageNo;
    this.diskLsn[slot] = 0;
    this.lastEnd[slot] = -1;
    this.state[slot] = 0;
    this.table.set(spaceId, pageNo, slot);
    let list = this.bySpace.get(spaceId);
    if (!list) this.bySpace.set(spaceId, (list = []));
    list.push(slot);
    return slot;
  }

  /**
   * Forgets the pages of a space held or deferred in this pass (their records
   * are void; slots are reused); done marks stay.
   */
  dropSpace(spaceId: number): void {
    const d = this.deferredPages;
    if (d.length !== 0) {
      const keep: number[] = [];
      for (let i = 0; i < d.length; i += 2) {
        if (d[i] === spaceId) this.table.set(spaceId, d[i + 1]!, -1);
        else keep.push(d[i]!, d[i + 1]!);
      }
      this.deferredPages = keep;
    }
    const list = this.bySpace.get(spaceId);
    if (!list) return;
    for (const slot of list) {
      this.table.set(spaceId, this.pageNo[slot]!, -1);
      this.state[slot] = 0;
      this.lastEnd[slot] = -1;
      this.free.push(slot);
    }
    this.bySpace.delete(spaceId);
  }

  /** Slots of a space in write order: page 0 first, then ascending. */
  slotsInOrder(spaceId: number): number[] {
    const list = this.bySpace.get(spaceId) ?? [];
    return [...list].sort((a, b) => this.pageNo[a]! - this.pageNo[b]!);
  }

  /** What the thread that writes the pages needs (see CacheSnapshot). */
  snapshot(): CacheSnapshotData {
    return {
      pageSize: this.pageSize,
      chunks: this.chunks.map((c) => c.buffer as SharedArrayBuffer),
      pageNo: this.pageNo.slice(0, this.count),
      lastEnd: this.lastEnd.slice(0, this.count),
      state: this.state.slice(0, this.count),
      bySpace: [...this.bySpace],
      deferred: this.deferred,
    };
  }

  /** Space ids with pages in this pass, ascending. */
  spaceIds(): number[] {
    return [...this.bySpace.keys()].sort((a, b) => a - b);
  }

  /** Marks a page that found no slot: a later pass applies it. */
  defer(spaceId: number, pageNo: number): void {
    this.table.set(spaceId, pageNo, PAGE_DEFERRED);
    this.deferredPages.push(spaceId, pageNo);
  }

  /** Pages deferred in this pass. */
  get deferred(): number {
    return this.deferredPages.length >>> 1;
  }

  /**
   * Ends a pass: every page held becomes done, deferred pages become
   * candidates again; slots and images are reused by the next pass.
   */
  endPass(): void {
    for (const [id, list] of this.bySpace) for (const slot of list) this.table.set(id, this.pageNo[slot]!, PAGE_DONE);
    const d = this.deferredPages;
    for (let i = 0; i < d.length; i += 2) if (this.table.get(d[i]!, d[i + 1]!) === PAGE_DEFERRED) this.table.set(d[i]!, d[i + 1]!, -1);
    this.deferredPages = [];
    this.bySpace.clear();
    this.free.length = 0;
    this.count = 0;
  }

  private growMeta(need: number): void {
    let n = this.space.length * 2;
    while (n < need) n *= 2;
    n = Math.min(Math.max(n, need), this.maxSlots);
    const g = <T extends Uint32Array | Float64Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.space = g(this.space);
    this.pageNo = g(this.pageNo);
    this.diskLsn = g(this.diskLsn);
    this.lastEnd = g(this.lastEnd);
    this.state = g(this.state);
  }
}

export interface CacheSnapshotData {
  readonly pageSize: number;
  readonly chunks: SharedArrayBuffer[];
  readonly pageNo: Uint32Array;
  readonly lastEnd: Float64Array;
  readonly state: Uint8Array;
  readonly bySpace: Array<[number, number[]]>;
  readonly deferred: number;
}

/** The pages of a pass as the writing thread sees them: what writePass reads. */
export interface PassPages {
  readonly count: number;
  readonly pageNo: Uint32Array;
  readonly lastEnd: Float64Array;
  /** SLOT_* per slot: pages not SLOT_LOADED were rebuilt from INIT_PAGE / FREE_PAGE. */
  readonly state: Uint8Array;
  page(slot: number): Uint8Array;
  spaceIds(): number[];
  slotsInOrder(spaceId: number): number[];
}

/** A PageCache of another thread, over its shared page images. */
export class CacheSnapshot implements PassPages {
  readonly count: number;
  readonly pageNo: Uint32Array;
  readonly lastEnd: Float64Array;
  readonly state: Uint8Array;
  readonly deferred: number;
  private readonly bySpace: Map<number, number[]>;
  private readonly chunks: Uint8Array[];
  private readonly perChunk: number;

  constructor(d: CacheSnapshotData) {
    this.count = d.pageNo.length;
    this.pageNo = d.pageNo;
    this.lastEnd = d.lastEnd;
    this.state = d.state;
    this.deferred = d.deferred;
    this.bySpace = new Map(d.bySpace);
    this.chunks = d.chunks.map((b) => new Uint8Array(b));
    this.perChunk = CHUNK_PAGES;
    this.ps = d.pageSize;
  }

  private readonly ps: number;

  page(slot: number): Uint8Array {
    const c = this.chunks[Math.floor(slot / this.perChunk)]!;
    const at = (slot % this.perChunk) * this.ps;
    return c.subarray(at, at + this.ps);
  }

  spaceIds(): number[] {
    return [...this.bySpace.keys()].sort((a, b) => a - b);
  }

  slotsInOrder(spaceId: number): number[] {
    return [...(this.bySpace.get(spaceId) ?? [])].sort((a, b) => this.pageNo[a]! - this.pageNo[b]!);
  }
}
