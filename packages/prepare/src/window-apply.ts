import { FREE_PAGE } from '@ibarchive/parser';
import { ApplyError, applyRecord, type ApplyContext } from './apply/index.js';
import { pageLsnNumber } from './fsp.js';
import { PAGE_DEFERRED, PAGE_DONE, PageCache, SLOT_BROKEN, SLOT_FREED, SLOT_INIT, SLOT_LOADED } from './page-cache.js';
import type { PageLoader } from './page-loader.js';
import { RecordView } from './record-view.js';
import {
  BLOCK_ROWS,
  BLOCK_WORDS,
  PAGE_DEAD,
  PAGE_INIT,
  R_CODE_OFFSET,
  R_DATA_END,
  R_DATA_START,
  R_INLINE,
  R_LENGTH,
  R_MTR,
  RECORD_WORDS,
  type WindowRecords,
} from './window-records.js';

export interface WindowApplyOptions {
  /** Space whose file is not known: `defer` its pages to a later pass (pass 1), or `ignore` them with a warning. */
  readonly unknownSpaces: 'defer' | 'ignore';
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Told of every page a window has records for. */
  readonly onPage?: ((spaceId: number, pageNo: number) => void) | undefined;
}

/**
 * Applies the page records of a window of the log (a RecordStore: records
 * chained by page, in log order within a page, INIT_PAGE / FREE_PAGE having
 * voided the records before them) to the pages of a PageCache. A page is read
 * the first time a window has records for it (not for INIT_PAGE / FREE_PAGE);
 * the page-LSN rule compares each record's mtr start LSN with the
 * FIL_PAGE_LSN read then. Grouping by page keeps a page in the CPU cache
 * while its records are applied, which applying in log order does not.
 * A record that fails a check marks its page broken: a later INIT_PAGE /
 * FREE_PAGE voids it, else `throwIfBroken()` reports it after the pass.
 */
export class WindowApplier {
  applied = 0;
  skipped = 0;
  private readonly trimmedTo = new Map<number, number>();
  /** The failure of each broken page (pageKey), until a reset voids it. */
  private readonly errors = new Map<string, ApplyError>();
  private readonly ignored = new Set<number>();
  private readonly view = new RecordView();
  private readonly ctx: ApplyContext;

  constructor(
    readonly cache: PageCache,
    readonly loader: PageLoader,
    private readonly opts: WindowApplyOptions,
  ) {
    this.ctx = { pageSize: cache.pageSize, lsn: undefined, file: undefined };
  }

  /** `voided`: pages to skip, reset by a later window. */
  apply(s: WindowRecords, voided?: Map<number, Set<number>>): void {
    const cache = this.cache;
    const ps = cache.pageSize;
    const rec = s.rec;
    const next = s.next;
    for (let p = 0; p < s.pageCount; p++) {
      const live = s.liveCount[p]!;
      if (live === 0 || s.pageFlags[p] === PAGE_DEAD) continue;
      const spaceId = s.pageSpace[p]!;
      const pageNo = s.pageNo[p]!;
      const reset = s.pageFlags[p]!;
      this.opts.onPage?.(spaceId, pageNo);
      // A later window resets the page: these records are void.
      if (voided?.get(spaceId)?.has(pageNo)) continue;
      let slot = cache.table.get(spaceId, pageNo);
      if (slot < 0) {
        if (slot === PAGE_DONE || slot === PAGE_DEFERRED) continue;
        slot = PageCache.isSpilled(slot) ? cache.reload(slot, reset !== 0) : this.admit(spaceId, pageNo, reset !== 0);
        if (slot < 0) continue;
      }
      const page = cache.page(slot);
      if (reset) {
        // INIT_PAGE, the first record left, zero-fills the page itself.
        if (reset !== PAGE_INIT) page.fill(0);
        cache.diskLsn[slot] = 0;
        cache.lastEnd[slot] = -1;
        cache.state[slot] = reset === PAGE_INIT ? SLOT_INIT : SLOT_FREED;
        this.errors.delete(pageKey(spaceId, pageNo));
      }
      if (cache.state[slot]! & SLOT_BROKEN) continue;
      let lastMtr = -1;
      const skipBelow = cache.diskLsn[slot]! - s.baseLsn;
      // The chain: blocks of BLOCK_ROWS rows, all full but the last.
      let block = s.head[p]!;
      for (let i = 0, k = 0; i < live; i++, k++) {
        if (k === BLOCK_ROWS) {
          block = next[block]!;
          k = 0;
        }
        const o = block * BLOCK_WORDS + k * RECORD_WORDS;
        const m = rec[o + R_MTR]!;
        // Page-LSN rule; only a page read from disk with an LSN inside this window can skip.
        if (skipBelow > 0 && s.mtrStart[m]! - s.baseLsn < skipBelow) {
          this.skipped++;
          continue;
        }
        const co = rec[o + R_CODE_OFFSET]!;
        if (co & R_INLINE) {
          // Short WRITE from the row; out-of-bounds ones go to applyRecord below, which names the error.
          const off = co & 0xffff;
          const len = rec[o + R_LENGTH]!;
          if (off >= 8 && off + len <= ps) {
            const w0 = rec[o + R_DATA_START]!;
            const w1 = rec[o + R_DATA_END]!;
            for (let k = 0; k < len; k++) page[off + k] = (k < 4 ? w0 >>> (k << 3) : w1 >>> ((k - 4) << 3)) & 0xff;
            this.applied++;
            lastMtr = m;
            continue;
          }
        }
        if (((co >>> 16) & 0x70) === FREE_PAGE) continue;
        try {
          applyRecord(page, this.view.load(s, o, spaceId, pageNo), this.ctx);
        } catch (e) {
          if (!(e instanceof ApplyError)) throw e;
          // The LSN is attached only on failure (no BigInt per applied record).
          cache.state[slot]! |= SLOT_BROKEN;
          this.errors.set(pageKey(spaceId, pageNo), new ApplyError(e.record, e.spaceId, e.pageNo, e.check, { ...this.ctx, lsn: BigInt(s.mtrStart[m]!) }));
          break;
        }
        this.applied++;
        lastMtr = m;
      }
      if (lastMtr >= 0) cache.lastEnd[slot] = s.mtrEnd[lastMtr]!;
    }
  }

  /** A slot for a page met for the first time in this pass, or -1 (deferred or ignored). */
  private admit(spaceId: number, pageNo: number, reset: boolean): number {
    const cache = this.cache;
    if (this.ignored.has(spaceId)) return -1;
    if (!this.loader.has(spaceId)) {
      if (this.opts.unknownSpaces === 'defer') {
        cache.defer(spaceId, pageNo);
      } else {
        this.ignored.add(spaceId);
        this.opts.onWarning?.(`tablespace ${spaceId} was not found; its redo is ignored`);
      }
      return -1;
    }
    if (cache.full) {
      cache.defer(spaceId, pageNo);
      return -1;
    }
    const slot = cache.alloc(spaceId, pageNo);
    if (!reset) {
      const page = cache.page(slot);
      this.loader.load(spaceId, pageNo, page, this.trimmedTo.get(spaceId));
      cache.diskLsn[slot] = pageLsnNumber(page);
      cache.state[slot] = SLOT_LOADED;
    }
    return slot;
  }

  /** FILE_DELETE / TRIM_PAGES: the space's pages so far are void (see Planner). */
  dropSpace(spaceId: number, trimmedTo?: number): void {
    for (const [s, p] of this.cache.pagesOf(spaceId)) this.errors.delete(pageKey(s, p));
    this.cache.dropSpace(spaceId);
    if (trimmedTo !== undefined) this.trimmedTo.set(spaceId, trimmedTo);
  }

  /** Throws the ApplyError of the earliest record that failed on a page still holding it. */
  throwIfBroken(): void {
    let first: ApplyError | undefined;
    for (const e of this.errors.values()) if (!first || (e.lsn ?? 0n) < (first.lsn ?? 0n)) first = e;
    if (first) throw first;
  }
}

function pageKey(spaceId: number, pageNo: number): string {
  return `${spaceId}:${pageNo}`;
}
