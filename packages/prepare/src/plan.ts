import {
  CorruptLogError,
  IbarchiveError,
  EXTENDED,
  ExtendedSubtype,
  FILE_CHECKPOINT,
  FILE_CREATE,
  FILE_DELETE,
  FILE_MODIFY,
  FILE_RENAME,
  FREE_PAGE,
  INIT_PAGE,
  MEMMOVE,
  OPTION,
  PADDING,
  RecordReader,
  WRITE,
  type Lsn,
  type MtrBatch,
  type RecordReaderOptions,
} from '@ibarchive/parser';
import { FSP_SIZE, FSP_SPACE_FLAGS } from './fsp.js';
import { PageTable } from './page-table.js';
import { INLINE_MAX, PAGE_FREED, PAGE_INIT, RecordStore } from './record-store.js';
import type { ResetHints } from './reset-hints.js';

/** A tablespace-level event from a FILE_* record, in log order. */
export type FileOp =
  | { readonly kind: 'create'; readonly spaceId: number; readonly name: string; readonly lsn: Lsn }
  | { readonly kind: 'rename'; readonly spaceId: number; readonly name: string; readonly newName: string; readonly lsn: Lsn }
  | { readonly kind: 'delete'; readonly spaceId: number; readonly name: string; readonly lsn: Lsn }
  | { readonly kind: 'trim'; readonly spaceId: number; readonly size: number; readonly lsn: Lsn };

/** What the log taught about tablespaces; survives from one window to the next. */
export class SpaceKnowledge {
  /** Newest file name per space id (FILE_CREATE / MODIFY / RENAME), as written: `./db/t.ibd`. */
  readonly names = new Map<number, string>();
  readonly deleted = new Set<number>();
  /** Newest FSP_SIZE and FSP_SPACE_FLAGS seen in page-0 writes. */
  readonly fspSize = new Map<number, number>();
  readonly fspFlags = new Map<number, number>();
  readonly created = new Set<number>();
}

/** Told when every page of a space becomes void: FILE_DELETE, or TRIM_PAGES to `trimmedTo` pages. */
export type DropSpace = (spaceId: number, trimmedTo?: number) => void;

const MAX_EXACT = 2 ** 53;
/** An mtr holds at most one record per 2 bytes (a same-page EXTENDED record is 2 bytes). */
export const MAX_RECORDS_PER_MTR = (1 << 20) >>> 1;
const decoder = new TextDecoder();

/**
 * Groups the page records of whole mtrs by page (redo-format.md 6.3), pure:
 * no I/O. Feed it mtr batches in LSN order with `add`; it stops at the first
 * mtr that ends after `toLsn`. INIT_PAGE / FREE_PAGE discard what was
 * collected for their page; FILE_DELETE and TRIM_PAGES discard a space's
 * records; FILE_* records become `fileOps`.
 */
export class Planner {
  store: RecordStore;
  readonly fileOps: FileOp[] = [];
  /** Spaces whose records were discarded by TRIM_PAGES in this plan. */
  readonly trimmed = new Map<number, number>();
  mtrs = 0;
  records = 0;
  /** Total log bytes of the mtrs taken (records, terminators and CRCs). */
  logBytes = 0;
  private firstN = -1;
  private reachedN = -1;
  /** Start LSN of the first mtr taken. */
  get firstLsn(): Lsn | undefined {
    return this.firstN < 0 ? undefined : BigInt(this.firstN);
  }
  /** End LSN of the last mtr taken. */
  get reachedLsn(): Lsn | undefined {
    return this.reachedN < 0 ? undefined : BigInt(this.reachedN);
  }
  private readonly reader: RecordReader;

  /** Set when the store cannot take another mtr: the batch ends here. */
  full = false;
  /** Resets known ahead (look-ahead): records they void are not stored. */
  hints: ResetHints | undefined;
  /** Number of pages touched per space, kept only when records are not collected. */
  readonly touched = new Map<number, number>();
  private readonly touchedTable = new PageTable();
  touchedPages = 0;

  /**
   * `collect = false` scans without storing page records (`--plan`): it
   * validates, follows FILE_* records and FSP
   * writes, and counts pages touched.
   */
  constructor(
    readonly knowledge: SpaceKnowledge = new SpaceKnowledge(),
    readerOptions: RecordReaderOptions = {},
    readonly collect = true,
    /** Records the store can hold (see RecordStore). */
    capacity = 1 << 20,
    /** Called at FILE_DELETE and TRIM_PAGES, in log order. */
    private readonly onDropSpace?: DropSpace,
  ) {
    this.store = new RecordStore(collect ? capacity : 0);
    this.reader = new RecordReader(readerOptions);
  }

  /**
   * Takes the mtrs of `batch` from index `from` that end at or before `toLsn`.
   * Returns the index of the first mtr not taken (`batch.count` when all were).
   */
  add(batch: MtrBatch, from = 0, toLsn?: Lsn): number {
    const base = batch.lsn;
    if (base + BigInt(batch.bytes.length) >= BigInt(MAX_EXACT)) {
      throw new CorruptLogError('LSN beyond 2^53 is not supported by prepare', { lsn: base });
    }
    const baseN = Number(base);
    const limit = toLsn === undefined ? Infinity : Number(toLsn);
    let buf = -1;
    let i = from;
    const store = this.store;
    for (; i < batch.count; i++) {
      const start = batch.starts[i]!;
      const end = batch.ends[i]!;
      if (baseN + end > limit) break;
      // A window always takes its first mtr (an mtr cannot be split); RecordStore refuses one too large for it.
      if (this.collect && store.mtrCount > 0 && (store.nearlyFull((end - start) >>> 1) || baseN + end - store.baseLsn >= 2 ** 32)) {
        this.full = true;
        break;
      }
      if (buf < 0 && this.collect) {
        buf = this.store.addBuffer(batch.bytes, start);
        if (buf < 0 && store.mtrCount === 0) {
          throw new IbarchiveError('internal', `a log read at offset ${start} does not fit a window's arena of ${store.arena?.length} bytes`);
        }
        if (buf < 0) {
          this.full = true;
          break;
        }
      }
      if (this.collect && end > store.keptEnd) {
        // The arena took only part of this read: the rest goes to the next window.
        if (store.mtrCount === 0) {
          throw new IbarchiveError('internal', `an mtr of ${end - start} bytes does not fit a window's arena of ${store.arena?.length} bytes`);
        }
        this.full = true;
        break;
      }
      try {
        this.addMtr(batch.bytes, buf, start, batch.recordsEnds[i]!, end, baseN);
      } catch (e) {
        // Records are decoded with a placeholder LSN (no BigInt per mtr); decode the failing mtr
        // again with its real LSNs so that the error names them.
        const r = this.reader;
        r.reset(batch.bytes, start, batch.recordsEnds[i]!, base + BigInt(start), base + BigInt(end));
        while (r.next());
        throw e;
      }
    }
    return i;
  }

  private addMtr(bytes: Uint8Array, buf: number, start: number, recordsEnd: number, end: number, baseN: number): void {
    const startLsn = baseN + start;
    const endLsn = baseN + end;
    const store = this.store;
    const k = this.knowledge;
    const mtr = this.collect ? store.addMtr(startLsn, endLsn, buf) : 0;
    const reader = this.reader;
    reader.reset(bytes, start, recordsEnd, 0n, 0n);
    while (reader.next()) {
      this.records++;
      const type = reader.type;
      const space = reader.spaceId;
      switch (type) {
        case FILE_CREATE:
        case FILE_MODIFY:
        case FILE_DELETE:
        case FILE_RENAME:
          this.fileRecord(type, space, bytes, reader.dataStart, reader.newNameStart, reader.dataEnd, BigInt(startLsn));
          continue;
        case FILE_CHECKPOINT:
        case PADDING:
        case OPTION:
          continue;
      }
      if (k.deleted.size !== 0 && k.deleted.has(space)) continue;
      const page = reader.pageNo;
      let reset: 0 | typeof PAGE_INIT | typeof PAGE_FREED = 0;
      if (type === INIT_PAGE) reset = PAGE_INIT;
      else if (type === FREE_PAGE) reset = PAGE_FREED;
      else if (type === EXTENDED && reader.subtype === ExtendedSubtype.TRIM_PAGES) {
        store.dropSpace(space);
        this.onDropSpace?.(space, page);
        this.trimmed.set(space, page);
        this.fileOps.push({ kind: 'trim', spaceId: space, size: page, lsn: BigInt(startLsn) });
        k.fspSize.set(space, page);
        continue;
      } else if (page === 0 && type === WRITE) {
        this.trackFsp(space, bytes, reader.offset, reader.dataStart, reader.dataEnd);
      }
      if (!this.collect) {
        if (this.touchedTable.get(space, page) < 0) {
          this.touchedTable.set(space, page, 0);
          this.touched.set(space, (this.touched.get(space) ?? 0) + 1);
          this.touchedPages++;
        }
        continue;
      }
      const hints = this.hints;
      if (hints !== undefined) {
        if (reset !== 0) hints.settle(space, page);
        else if (hints.voids(space, page, startLsn)) continue;
      }
      if (type === WRITE && reader.length <= INLINE_MAX) store.addInlineWrite(space, page, mtr, type, reader.offset, bytes, reader.dataStart, reader.dataEnd);
      else if (type === MEMMOVE) store.add(space, page, mtr, type, -1, reader.offset, reader.length, reader.source, 0, 0);
      else store.add(space, page, mtr, type, type === EXTENDED ? reader.subtype : -1, reader.offset, reader.length, reader.dataStart, reader.dataEnd, reset);
    }
    this.mtrs++;
    this.logBytes += end - start;
    if (this.firstN < 0) this.firstN = startLsn;
    this.reachedN = endLsn;
  }

  private trackFsp(space: number, bytes: Uint8Array, offset: number, dataStart: number, dataEnd: number): void {
    const len = dataEnd - dataStart;
    const u32 = (at: number) => {
      const o = dataStart + at - offset;
      return ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0;
    };
    if (offset <= FSP_SIZE && offset + len >= FSP_SIZE + 4) this.knowledge.fspSize.set(space, u32(FSP_SIZE));
    if (offset <= FSP_SPACE_FLAGS && offset + len >= FSP_SPACE_FLAGS + 4) this.knowledge.fspFlags.set(space, u32(FSP_SPACE_FLAGS));
  }

  private fileRecord(type: number, space: number, bytes: Uint8Array, dataStart: number, newNameStart: number, dataEnd: number, lsn: Lsn): void {
    const k = this.knowledge;
    const text = decoder.decode(bytes.subarray(dataStart, dataEnd));
    if (type === FILE_MODIFY) {
      k.names.set(space, text);
    } else if (type === FILE_CREATE) {
      k.names.set(space, text);
      k.deleted.delete(space);
      k.created.add(space);
      this.fileOps.push({ kind: 'create', spaceId: space, name: text, lsn });
    } else if (type === FILE_RENAME) {
      const name = decoder.decode(bytes.subarray(dataStart, newNameStart - 1));
      const newName = decoder.decode(bytes.subarray(newNameStart, dataEnd));
      k.names.set(space, newName);
      this.fileOps.push({ kind: 'rename', spaceId: space, name, newName, lsn });
    } else {
      k.names.set(space, text);
      k.deleted.add(space);
      this.store.dropSpace(space);
      this.onDropSpace?.(space);
      this.touchedPages -= this.touched.get(space) ?? 0;
      this.touched.delete(space);
      this.touchedTable.deleteSpace(space);
      this.fileOps.push({ kind: 'delete', spaceId: space, name: text, lsn });
    }
  }

  /**
   * Starts a new window: the records collected so far were applied; the
   * store's rows are reused, counters and knowledge carry on.
   */
  nextWindow(store?: RecordStore): void {
    if (store) this.store = store;
    else this.store.reset();
    this.full = false;
  }

  /** Space ids with page records, ascending. */
  spaceIds(): number[] {
    return [...this.store.spaces.keys()].sort((a, b) => a - b);
  }

  /** Number of distinct pages with live records. */
  pageCount(): number {
    let n = 0;
    for (const pages of this.store.spaces.values()) n += pages.length;
    return n;
  }

  /**
   * A JSON-friendly description of the plan (for snapshots and `--plan`):
   * per space, per page in apply order, the records as `TYPE@mtrStart`.
   */
  describe(typeName: (type: number, subtype: number) => string): object {
    const s = this.store;
    const spaces: Record<string, Record<string, string[]>> = {};
    for (const id of this.spaceIds()) {
      const pages: Record<string, string[]> = {};
      for (const p of s.pagesInOrder(id)) {
        const recs: string[] = [];
        for (const r of s.recordsOf(p)) recs.push(`${typeName(s.typeOf(r), s.subtypeOf(r))}@${s.mtrStart[s.mtrOf(r)]}`);
        pages[String(s.pageNo[p])] = recs;
      }
      spaces[String(id)] = pages;
    }
    return {
      firstLsn: this.firstLsn?.toString(),
      reachedLsn: this.reachedLsn?.toString(),
      mtrs: this.mtrs,
      fileOps: this.fileOps.map((o) => ({ ...o, lsn: o.lsn.toString() })),
      spaces,
    };
  }
}
