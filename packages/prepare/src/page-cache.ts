import { alignedBuffer } from './aligned-memory.js';
import { CHUNK_PAGES, type CacheSnapshotData } from './cache-snapshot.js';
import { PageTable } from './page-table.js';
import type { SpillFile } from './spill-file.js';

export { CacheSnapshot, type CacheSnapshotData, type PassPages } from './cache-snapshot.js';

/** Page table marks besides slot numbers. */
export const PAGE_DONE = -2;
export const PAGE_DEFERRED = -3;
/** Table values at or below this mark a spilled page: spill index SPILLED - value. */
const SPILLED = -4;

/** Slot states. */
export const SLOT_LOADED = 1;
export const SLOT_INIT = 2;
export const SLOT_FREED = 4;
export const SLOT_BROKEN = 8;

/** Per-page fields a slot (or a spilled page) carries. */
interface PageMeta {
  space: Uint32Array;
  pageNo: Uint32Array;
  diskLsn: Float64Array;
  lastEnd: Float64Array;
  state: Uint8Array;
}

function newMeta(n: number): PageMeta {
  return { space: new Uint32Array(n), pageNo: new Uint32Array(n), diskLsn: new Float64Array(n), lastEnd: new Float64Array(n), state: new Uint8Array(n) };
}

function growMeta(m: PageMeta, need: number, max = Infinity): PageMeta {
  let n = Math.max(16, m.space.length * 2);
  while (n < need) n *= 2;
  n = Math.min(Math.max(n, need), max);
  const g = <T extends Uint32Array | Float64Array | Uint8Array>(a: T): T => {
    const b = new (a.constructor as new (n: number) => T)(n);
    b.set(a);
    return b;
  };
  return { space: g(m.space), pageNo: g(m.pageNo), diskLsn: g(m.diskLsn), lastEnd: g(m.lastEnd), state: g(m.state) };
}

function copyMeta(from: PageMeta, i: number, to: PageMeta, j: number): void {
  to.space[j] = from.space[i]!;
  to.pageNo[j] = from.pageNo[i]!;
  to.diskLsn[j] = from.diskLsn[i]!;
  to.lastEnd[j] = from.lastEnd[i]!;
  to.state[j] = from.state[i]!;
}

/**
 * The pages one pass applies (a buffer pool): up to `maxSlots` page images
 * in memory, in arena chunks, and per slot its page id, the FIL_PAGE_LSN read
 * from disk (the page-LSN rule compares with it), the end LSN of the last
 * record applied (-1: nothing to write) and a state. With a spill file, a
 * page that finds no free slot takes the slot of a page not used lately
 * (clock), which goes to the spill file with its fields, or is just dropped
 * when it is as on disk; without one, the page is deferred to a later pass.
 * Pages written by an earlier pass stay marked done.
 */
export class PageCache {
  readonly table = new PageTable();
  private readonly chunks: Uint8Array[] = [];
  private readonly views: Uint8Array[] = [];
  count = 0;
  private meta: PageMeta;
  /** Clock bits: set when a slot is used, cleared as the hand passes. */
  private used: Uint8Array;
  private hand = 0;
  /** Slots freed by a dropped space, reused first. */
  private readonly free: number[] = [];
  /** Pages deferred in this pass, as space/page pairs. */
  private deferredPages: number[] = [];
  private spilledMeta: PageMeta = newMeta(0);
  private spillCount = 0;
  private readonly spillFree: number[] = [];
  /** Pages written to the spill file in this pass (evictions, for the summary). */
  spills = 0;

  constructor(
    readonly pageSize: number,
    readonly maxSlots: number,
    /** Page images in shared memory (another thread writes them). */
    readonly shared = false,
    private readonly spill?: SpillFile | undefined,
  ) {
    const n = Math.min(maxSlots, 4096);
    this.meta = newMeta(n);
    this.used = new Uint8Array(n);
  }

  get pageNo(): Uint32Array {
    return this.meta.pageNo;
  }
  get diskLsn(): Float64Array {
    return this.meta.diskLsn;
  }
  get lastEnd(): Float64Array {
    return this.meta.lastEnd;
  }
  get state(): Uint8Array {
    return this.meta.state;
  }

  /** No slot is free and none can be evicted (no spill file). */
  get full(): boolean {
    return this.spill === undefined && this.free.length === 0 && this.count >= this.maxSlots;
  }

  /** Bytes of page images held. */
  get bytes(): number {
    return this.chunks.length * CHUNK_PAGES * this.pageSize;
  }

  page(slot: number): Uint8Array {
    this.used[slot] = 1;
    return this.views[slot]!;
  }

  /** True for a table value that marks a spilled page. */
  static isSpilled(v: number): boolean {
    return v <= SPILLED;
  }

  /** A slot for (space, page), its image not initialised; the caller checks `full` first. */
  alloc(spaceId: number, pageNo: number): number {
    const slot = this.takeSlot();
    const m = this.meta;
    m.space[slot] = spaceId;
    m.pageNo[slot] = pageNo;
    m.diskLsn[slot] = 0;
    m.lastEnd[slot] = -1;
    m.state[slot] = 0;
    this.table.set(spaceId, pageNo, slot);
    return slot;
  }

  /**
   * Brings a spilled page (table value `v`) back into a slot with its fields;
   * its image is read unless `reset` says the page is rebuilt anyway.
   */
  reload(v: number, reset: boolean): number {
    const i = SPILLED - v;
    const slot = this.takeSlot();
    copyMeta(this.spilledMeta, i, this.meta, slot);
    if (!reset) this.spill!.read(i, this.views[slot]!);
    this.spillFree.push(i);
    this.table.set(this.meta.space[slot]!, this.meta.pageNo[slot]!, slot);
    return slot;
  }

  private takeSlot(): number {
    let slot = this.free.pop();
    if (slot === undefined && this.count >= this.maxSlots) slot = this.evict();
    if (slot === undefined) {
      slot = this.count++;
      if (slot >= this.meta.space.length) {
        this.meta = growMeta(this.meta, slot + 1, this.maxSlots);
        const u = new Uint8Array(this.meta.space.length);
        u.set(this.used);
        this.used = u;
      }
      if (slot >= this.views.length) {
        const bytes = CHUNK_PAGES * this.pageSize;
        // Aligned memory: the pages are written in place with O_DIRECT (page-store.ts).
        const chunk = new Uint8Array(alignedBuffer(bytes, this.shared));
        this.chunks.push(chunk);
        for (let i = 0; i < CHUNK_PAGES; i++) this.views.push(chunk.subarray(i * this.pageSize, (i + 1) * this.pageSize));
      }
    }
    this.used[slot] = 1;
    return slot;
  }

  /** Frees the slot of a page not used since the clock hand last passed it. */
  private evict(): number {
    const m = this.meta;
    for (;;) {
      const slot = this.hand;
      this.hand = (this.hand + 1) % this.count;
      if (this.used[slot]) {
        this.used[slot] = 0;
        continue;
      }
      const spaceId = m.space[slot]!;
      const pageNo = m.pageNo[slot]!;
      if (m.state[slot] === SLOT_LOADED && m.lastEnd[slot]! < 0) {
        // Nothing applied: the page is as on disk, read again if needed.
        this.table.set(spaceId, pageNo, -1);
        return slot;
      }
      let i = this.spillFree.pop();
      if (i === undefined) {
        i = this.spillCount++;
        if (i >= this.spilledMeta.space.length) this.spilledMeta = growMeta(this.spilledMeta, i + 1);
      }
      this.spill!.write(i, this.views[slot]!);
      copyMeta(m, slot, this.spilledMeta, i);
      this.table.set(spaceId, pageNo, SPILLED - i);
      this.spills++;
      return slot;
    }
  }

  /** Live slots (a page's current home), and live spill indexes, of a space or of all. */
  private live(spaceId?: number): { slots: number[]; spilled: number[] } {
    const slots: number[] = [];
    const spilled: number[] = [];
    const m = this.meta;
    for (let s = 0; s < this.count; s++) {
      if ((spaceId === undefined || m.space[s] === spaceId) && this.table.get(m.space[s]!, m.pageNo[s]!) === s) slots.push(s);
    }
    const sm = this.spilledMeta;
    for (let i = 0; i < this.spillCount; i++) {
      if ((spaceId === undefined || sm.space[i] === spaceId) && this.table.get(sm.space[i]!, sm.pageNo[i]!) === SPILLED - i) spilled.push(i);
    }
    return { slots, spilled };
  }

  /** Pages of a space held in this pass, in memory or spilled, as [spaceId, pageNo] pairs. */
  pagesOf(spaceId: number): Array<[number, number]> {
    const { slots, spilled } = this.live(spaceId);
    return [...slots.map((s) => this.meta.pageNo[s]!), ...spilled.map((i) => this.spilledMeta.pageNo[i]!)].map((p) => [spaceId, p]);
  }

  /**
   * Forgets the pages of a space held, spilled or deferred in this pass
   * (their records are void; slots are reused); done marks stay.
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
    const { slots, spilled } = this.live(spaceId);
    for (const slot of slots) {
      this.table.set(spaceId, this.meta.pageNo[slot]!, -1);
      this.meta.state[slot] = 0;
      this.meta.lastEnd[slot] = -1;
      this.free.push(slot);
    }
    for (const i of spilled) {
      this.table.set(spaceId, this.spilledMeta.pageNo[i]!, -1);
      this.spillFree.push(i);
    }
  }

  /** Space ids with pages in this pass, ascending. */
  spaceIds(): number[] {
    const { slots, spilled } = this.live();
    return [...new Set([...slots.map((s) => this.meta.space[s]!), ...spilled.map((i) => this.spilledMeta.space[i]!)])].sort((a, b) => a - b);
  }

  /** What the thread that writes the pages needs (see CacheSnapshot). */
  snapshot(): CacheSnapshotData {
    const { slots, spilled } = this.live();
    const n = slots.length + spilled.length;
    const out = newMeta(n);
    slots.forEach((s, k) => copyMeta(this.meta, s, out, k));
    spilled.forEach((i, k) => copyMeta(this.spilledMeta, i, out, slots.length + k));
    return {
      pageSize: this.pageSize,
      chunks: this.chunks.map((c) => c.buffer as SharedArrayBuffer),
      home: Int32Array.from([...slots, ...spilled.map((i) => -1 - i)]),
      space: out.space,
      pageNo: out.pageNo,
      lastEnd: out.lastEnd,
      state: out.state,
      deferred: this.deferred,
      spilled: this.spills,
    };
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
   * Ends a pass: every page held or spilled becomes done, deferred pages
   * become candidates again; slots, images and the spill file are reused.
   */
  endPass(): void {
    const { slots, spilled } = this.live();
    for (const s of slots) this.table.set(this.meta.space[s]!, this.meta.pageNo[s]!, PAGE_DONE);
    for (const i of spilled) this.table.set(this.spilledMeta.space[i]!, this.spilledMeta.pageNo[i]!, PAGE_DONE);
    const d = this.deferredPages;
    for (let i = 0; i < d.length; i += 2) if (this.table.get(d[i]!, d[i + 1]!) === PAGE_DEFERRED) this.table.set(d[i]!, d[i + 1]!, -1);
    this.deferredPages = [];
    this.free.length = 0;
    this.count = 0;
    this.hand = 0;
    this.spillCount = 0;
    this.spillFree.length = 0;
    this.spills = 0;
  }
}
