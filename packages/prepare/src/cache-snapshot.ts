import { markAligned } from './aligned-memory.js';
import type { SpillFile } from './spill-file.js';

/** Pages per arena chunk of a PageCache: memory is taken as pages are first used, not up front. */
export const CHUNK_PAGES = 512;

/** The pages a pass holds, as posted by the apply thread at its end (PageCache.snapshot). */
export interface CacheSnapshotData {
  readonly pageSize: number;
  readonly chunks: SharedArrayBuffer[];
  /** Per page: its slot in `chunks`, or -1 - its index in the spill file. */
  readonly home: Int32Array;
  readonly space: Uint32Array;
  readonly pageNo: Uint32Array;
  readonly lastEnd: Float64Array;
  readonly state: Uint8Array;
  readonly deferred: number;
  /** Evictions to the spill file during the pass. */
  readonly spilled: number;
}

/** The pages of a pass as the writing thread sees them: what writePass reads. */
export interface PassPages {
  readonly count: number;
  readonly pageNo: Uint32Array;
  readonly lastEnd: Float64Array;
  /** SLOT_* per page: pages not SLOT_LOADED were rebuilt from INIT_PAGE / FREE_PAGE. */
  readonly state: Uint8Array;
  page(i: number): Uint8Array;
  spaceIds(): number[];
  /** Indexes of a space's pages in write order: page 0 first, then ascending. */
  slotsInOrder(spaceId: number): number[];
}

/**
 * A PageCache of another thread, over its shared page images; pages it
 * spilled are read from the spill file (a fresh array each, as the writer
 * keeps them until they are flushed).
 */
export class CacheSnapshot implements PassPages {
  readonly count: number;
  readonly pageNo: Uint32Array;
  readonly lastEnd: Float64Array;
  readonly state: Uint8Array;
  readonly deferred: number;
  readonly spilled: number;
  private readonly home: Int32Array;
  private readonly bySpace = new Map<number, number[]>();
  private readonly chunks: Uint8Array[];
  private readonly ps: number;

  constructor(
    d: CacheSnapshotData,
    private readonly spill?: SpillFile | undefined,
  ) {
    this.count = d.pageNo.length;
    this.pageNo = d.pageNo;
    this.lastEnd = d.lastEnd;
    this.state = d.state;
    this.deferred = d.deferred;
    this.spilled = d.spilled;
    this.home = d.home;
    // PageCache takes its chunks from alignedBuffer.
    for (const b of d.chunks) markAligned(b);
    this.chunks = d.chunks.map((b) => new Uint8Array(b));
    this.ps = d.pageSize;
    for (let i = 0; i < this.count; i++) {
      const id = d.space[i]!;
      let list = this.bySpace.get(id);
      if (!list) this.bySpace.set(id, (list = []));
      list.push(i);
    }
  }

  page(i: number): Uint8Array {
    const slot = this.home[i]!;
    if (slot < 0) {
      const into = new Uint8Array(this.ps);
      this.spill!.read(-1 - slot, into);
      return into;
    }
    const c = this.chunks[Math.floor(slot / CHUNK_PAGES)]!;
    const at = (slot % CHUNK_PAGES) * this.ps;
    return c.subarray(at, at + this.ps);
  }

  spaceIds(): number[] {
    return [...this.bySpace.keys()].sort((a, b) => a - b);
  }

  slotsInOrder(spaceId: number): number[] {
    return [...(this.bySpace.get(spaceId) ?? [])].sort((a, b) => this.pageNo[a]! - this.pageNo[b]!);
  }
}
