import { ApplyError, applyRecord, finalizePage, type ApplyContext } from './apply/index.js';
import { FREE_PAGE, IbarchiveError, MEMMOVE, type PageRecord } from '@ibarchive/parser';
import { isAllZero, pageLsnNumber, readFspHeader } from './fsp.js';
import type { PageStore } from './page-store.js';
import type { Planner } from './plan.js';
import { R_CODE_OFFSET, R_DATA_END, R_DATA_START, R_INLINE, R_LENGTH, R_MTR, R_START, RECORD_WORDS, type RecordStore } from './record-store.js';

/** A stored record presented as the parser's PageRecord, one reusable object. */
class RecordView implements PageRecord {
  type = 0;
  subtype = -1;
  spaceId = 0;
  pageNo = 0;
  bytes: Uint8Array = new Uint8Array(0);
  recStart = 0;
  recEnd = 0;
  offset = 0;
  length = 0;
  source = 0;
  dataStart = 0;
  dataEnd = 0;
  private readonly inline = new Uint8Array(8);

  /** Loads the record whose row starts at word `o` of the store's rows. */
  load(s: RecordStore, o: number, spaceId: number, pageNo: number): this {
    const rec = s.rec;
    const codeOffset = rec[o + R_CODE_OFFSET]!;
    const code = codeOffset >>> 16;
    const type = code & 0x70;
    this.type = type;
    this.subtype = (code & 0x0f) - 1;
    this.spaceId = spaceId;
    this.pageNo = pageNo;
    this.bytes = s.buffers[s.mtrBuf[rec[o + R_MTR]!]!]!;
    this.offset = codeOffset & 0xffff;
    this.length = rec[o + R_LENGTH]!;
    if (codeOffset & R_INLINE) {
      // A short WRITE kept in the row: its bytes, unpacked.
      const w0 = rec[o + R_DATA_START]!;
      const w1 = rec[o + R_DATA_END]!;
      for (let k = 0; k < this.length; k++) this.inline[k] = (k < 4 ? w0 >>> (k << 3) : w1 >>> ((k - 4) << 3)) & 0xff;
      this.bytes = this.inline;
      this.source = 0;
      this.dataStart = 0;
      this.dataEnd = this.length;
    } else if (type === MEMMOVE) {
      this.source = rec[o + R_DATA_START]!;
      this.dataStart = this.dataEnd = 0;
    } else {
      this.source = 0;
      this.dataStart = rec[o + R_DATA_START]!;
      this.dataEnd = rec[o + R_DATA_END]!;
    }
    // The whole record is not kept; OPTION records (the only users) are not stored.
    this.recStart = this.dataStart;
    this.recEnd = this.dataEnd;
    return this;
  }
}

/** Progress of one batch: pages done of pages planned. */
export type BatchProgress = (pagesDone: number, pagesTotal: number) => void;

export interface ExecuteOptions {
  /** Staged page bytes that trigger a journal flush. */
  flushBytes: number;
  /** Page reads in flight. */
  readAhead: number;
  onWarning?: ((message: string) => void) | undefined;
  onProgress?: BatchProgress | undefined;
  /** Tablespace flags known per space (carried across batches). */
  flags: Map<number, number>;
  /**
   * Return before the last flush group and the growth of the last space are
   * done (`stats.tail`), so that the caller can read the next batch's log
   * meanwhile; it must await the tail before any other page or file I/O.
   */
  leaveTail?: boolean | undefined;
}

/** Counters of one executed batch. */
export interface BatchStats {
  pagesApplied: number;
  recordsApplied: number;
  recordsSkipped: number;
  filesExtended: number;
  /** Resolves when every page of the batch is in place and every file grown (see leaveTail). */
  tail: Promise<void>;
}

/**
 * Applies a plan: FILE_* operations in log order, then every page of every
 * space (page 0 first, ascending), with the page-LSN rule (a record applies iff
 * its mtr starts at or after FIL_PAGE_LSN); pages written through the journal;
 * files grown to FSP_SIZE.
 */
export async function executePlan(plan: Planner, pages: PageStore, opts: ExecuteOptions): Promise<BatchStats> {
  const stats: BatchStats = { pagesApplied: 0, recordsApplied: 0, recordsSkipped: 0, filesExtended: 0, tail: Promise.resolve() };
  const k = plan.knowledge;
  for (const op of plan.fileOps) {
    if (op.kind === 'create') {
      const holder = await pages.create(op.spaceId, op.name);
      if (holder !== undefined) {
        pages.missing.add(op.spaceId);
        opts.onWarning?.(`tablespace ${op.spaceId} (${op.name}) was replaced by tablespace ${holder} later; its redo is ignored`);
      }
    } else if (op.kind === 'rename') await pages.rename(op.spaceId, op.newName);
    else if (op.kind === 'delete') await pages.delete(op.spaceId);
    else await pages.truncate(op.spaceId, op.size);
  }
  const s = plan.store;
  const ps = pages.pageSize;
  const view = new RecordView();
  const total = plan.pageCount();
  const { perm, start } = s.sortByPage();
  let done = 0;
  // Two sets of page buffers: the next chunk is read while the current one is applied.
  const n = opts.readAhead;
  const sets: Uint8Array[][] = [0, 1].map(() => Array.from({ length: n }, () => new Uint8Array(ps)));
  const ctx: ApplyContext = { pageSize: ps, lsn: undefined, file: undefined };

  const ids = plan.spaceIds();
  let lastGrow: [number, number] | undefined;
  for (const id of ids) {
    const order = s.pagesInOrder(id);
    if (!pages.has(id) && !pages.bindByName(id, k.names.get(id))) {
      if (!pages.missing.has(id)) {
        pages.missing.add(id);
        opts.onWarning?.(`tablespace ${id}${k.names.has(id) ? ` (${k.names.get(id)})` : ''} was not found; its redo is ignored`);
      }
      done += order.length;
      continue;
    }
    let flags = opts.flags.get(id);
    let fspSize = -1;
    const readChunk = (c: number, bufs: Uint8Array[]) =>
      Promise.all(order.slice(c, c + n).map((p, j) => (s.pageFlags[p] ? undefined : pages.read(id, s.pageNo[p]!, bufs[j]!))));
    let reading = readChunk(0, sets[0]!);
    for (let c = 0, half = 0; c < order.length; c += n, half ^= 1) {
      await reading;
      const bufs = sets[half]!;
      const chunk = order.slice(c, c + n);
      if (c + n < order.length) reading = readChunk(c + n, sets[half ^ 1]!);
      for (let j = 0; j < chunk.length; j++) {
        const p = chunk[j]!;
        const pageNo = s.pageNo[p]!;
        const page = bufs[j]!;
        if (s.pageFlags[p]) page.fill(0);
        const pageLsn = s.pageFlags[p] ? 0 : pageLsnNumber(page);
        let lastEnd = -1;
        const end = start[p + 1]!;
        const rec = s.rec;
        const skipBelow = pageLsn - s.baseLsn;
        for (let i = start[p]!; i < end; i++) {
          const o = perm[i]! * RECORD_WORDS;
          if (rec[o + R_START]! < skipBelow) {
            stats.recordsSkipped++;
            continue;
          }
          const m = rec[o + R_MTR]!;
          const co = rec[o + R_CODE_OFFSET]!;
          if (co & R_INLINE) {
            // Short WRITE from the row; out-of-bounds ones go to applyRecord below, which names the error.
            const off = co & 0xffff;
            const len = rec[o + R_LENGTH]!;
            if (off >= 8 && off + len <= ps && page.length >= ps) {
              const w0 = rec[o + R_DATA_START]!;
              const w1 = rec[o + R_DATA_END]!;
              for (let k = 0; k < len; k++) page[off + k] = (k < 4 ? w0 >>> (k << 3) : w1 >>> ((k - 4) << 3)) & 0xff;
              stats.recordsApplied++;
              lastEnd = s.mtrEnd[m]!;
              continue;
            }
          }
          if (((co >>> 16) & 0x70) === FREE_PAGE) continue;
          try {
            applyRecord(page, view.load(s, o, id, pageNo), ctx);
          } catch (e) {
            // The LSN is attached only on failure (no BigInt per applied record).
            if (e instanceof ApplyError) {
              throw new ApplyError(e.record, e.spaceId, e.pageNo, e.check, { ...ctx, lsn: BigInt(s.mtrStart[m]!) });
            }
            throw e;
          }
          stats.recordsApplied++;
          lastEnd = s.mtrEnd[m]!;
        }
        done++;
        if (lastEnd < 0) continue;
        if (pageNo === 0) {
          const h = readFspHeader(page);
          flags = h.flags;
          fspSize = h.size;
          opts.flags.set(id, flags);
        }
        if (flags === undefined) flags = await flagsFromDisk(pages, id, ps);
        if (flags === undefined) flags = k.fspFlags.get(id);
        if (flags === undefined) throw new IbarchiveError('corrupt', `tablespace ${id} (${pages.pathOf(id)}) has no page 0 flags on disk or in the log`);
        opts.flags.set(id, flags);
        finalizePage(page, BigInt(lastEnd), flags, id, pageNo);
        pages.stage(id, pageNo, page);
        stats.pagesApplied++;
        if (pages.stagedBytes >= opts.flushBytes) await pages.startFlush();
      }
      opts.onProgress?.(done, total);
    }
    if (fspSize < 0) {
      const p0 = new Uint8Array(ps);
      await pages.read(id, 0, p0);
      if (!isAllZero(p0)) fspSize = readFspHeader(p0).size;
    }
    if (fspSize > 0 && opts.leaveTail && id === ids[ids.length - 1]) {
      lastGrow = [id, fspSize];
    } else if (fspSize > 0) {
      await pages.flush();
      if (await pages.extend(id, fspSize)) stats.filesExtended++;
    }
  }
  const tail = (async () => {
    await pages.flush();
    if (lastGrow && (await pages.extend(lastGrow[0], lastGrow[1]))) stats.filesExtended++;
  })();
  if (!opts.leaveTail) {
    await tail;
    return stats;
  }
  // A failure surfaces where the tail is awaited, not as an unhandled rejection.
  tail.catch(() => {});
  stats.tail = tail;
  return stats;
}

async function flagsFromDisk(pages: PageStore, id: number, ps: number): Promise<number | undefined> {
  const p0 = new Uint8Array(ps);
  await pages.read(id, 0, p0);
  return isAllZero(p0) ? undefined : readFspHeader(p0).flags;
}
