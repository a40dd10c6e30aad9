import {
  CorruptLogError,
  EXTENDED,
  EXTENDED_SUBTYPE_NAMES,
  ExtendedSubtype,
  FREE_PAGE,
  INIT_PAGE,
  MEMMOVE,
  MEMSET,
  OPTION,
  WRITE,
  decodeDeleteDynamic,
  decodeDeleteRedundant,
  decodeInsertDynamic,
  decodeInsertRedundant,
  decodeUndoAppend,
  newDeleteDynamicFields,
  newDeleteRedundantFields,
  newInsertDynamicFields,
  newInsertRedundantFields,
  newUndoAppendFields,
  varintLength,
} from '@ibarchive/parser';
import { checkOptionChecksum, initPage, memmove, memset, write } from './basic.js';
import { deleteDynamic, deleteRedundant } from './delete.js';
import { createIndexPage } from './index-page.js';
import { insertDynamic, insertRedundant } from './insert.js';
import { ApplyError, type ApplyContext, type PageRecord } from './types.js';
import { undoAppend, undoInit } from './undo.js';

export { ApplyError, type ApplyContext, type PageRecord } from './types.js';
export { finalizePage } from './finalize.js';
export { pageLsn, setPageLsn } from './page.js';
export { pageChecksumProblem, fullCrc32Checksum, legacyCrc32Checksum, innodbNewChecksum, innodbOldChecksum } from './checksum.js';
export {
  isFullCrc32,
  isRowFormatCompressed,
  isPageCompressed,
  logicalPageSize,
  physicalPageSize,
  isValidFlags,
  describeFlags,
  cryptDataOffset,
  readCryptData,
  mayBeEncrypted,
  pageKeyVersion,
  type CryptData,
} from './flags.js';

/**
 * Redo appliers: one pure function per page record type and EXTENDED subtype,
 * working in place on a page buffer (MariaDB 10.11 log_phys_t::apply()).
 * Each throws ApplyError naming the record, page, LSN and the violated check.
 */
export type Applier = (page: Uint8Array, rec: PageRecord, ctx: ApplyContext) => void;

/** One row of the applier table. */
export interface ApplierRow {
  readonly type: number;
  /** EXTENDED subtype, or -1. */
  readonly subtype: number;
  readonly name: string;
  readonly apply: Applier;
}

let curRec: PageRecord;
let curCtx: ApplyContext;
let curName = '';

/** Throws the ApplyError of the record being applied. */
function fail(check: string): never {
  throw new ApplyError(curName, curRec.spaceId, curRec.pageNo, check, curCtx);
}

const insRed = newInsertRedundantFields();
const insDyn = newInsertDynamicFields();
const delRed = newDeleteRedundantFields();
const delDyn = newDeleteDynamicFields();
const undo = newUndoAppendFields();

function noPayload(r: PageRecord): void {
  if (r.dataEnd !== r.dataStart) fail(`${r.dataEnd - r.dataStart} payload bytes after the subtype`);
}

/** Offset of the OPTION payload: after the type byte, the length varint and the page id (4.1, 4.2). */
function optionPayloadStart(r: PageRecord): number {
  const b = r.bytes;
  const first = b[r.recStart]!;
  let p = r.recStart + 1;
  if ((first & 0x0f) === 0) p += varintLength(b[p]!);
  if ((first & 0x80) === 0) {
    p += varintLength(b[p]!);
    p += varintLength(b[p]!);
  }
  return p;
}

const rows: ApplierRow[] = [
  { type: FREE_PAGE, subtype: -1, name: 'FREE_PAGE', apply: () => {} },
  { type: INIT_PAGE, subtype: -1, name: 'INIT_PAGE', apply: (p, r, c) => initPage(p, c.pageSize, r.spaceId, r.pageNo) },
  { type: WRITE, subtype: -1, name: 'WRITE', apply: (p, r, c) => write(p, c.pageSize, r.offset, r.bytes, r.dataStart, r.dataEnd, fail) },
  {
    type: MEMSET, subtype: -1, name: 'MEMSET',
    apply: (p, r, c) => memset(p, c.pageSize, r.offset, r.length, r.bytes, r.dataStart, r.dataEnd, fail),
  },
  { type: MEMMOVE, subtype: -1, name: 'MEMMOVE', apply: (p, r, c) => memmove(p, c.pageSize, r.offset, r.length, r.source, fail) },
  {
    type: OPTION, subtype: -1, name: 'OPTION',
    apply: (p, r, c) => {
      const s = optionPayloadStart(r);
      if (r.recEnd - s === 5 && r.bytes[s] === 0) checkOptionChecksum(p, c.pageSize, r.bytes, s + 1, fail);
    },
  },
  ...([ExtendedSubtype.INIT_ROW_FORMAT_REDUNDANT, ExtendedSubtype.INIT_ROW_FORMAT_DYNAMIC] as const).map((st) => ({
    type: EXTENDED, subtype: st, name: EXTENDED_SUBTYPE_NAMES[st]!,
    apply: (p: Uint8Array, r: PageRecord, c: ApplyContext) => {
      noPayload(r);
      createIndexPage(p, c.pageSize, st === ExtendedSubtype.INIT_ROW_FORMAT_DYNAMIC);
    },
  })),
  {
    type: EXTENDED, subtype: ExtendedSubtype.UNDO_INIT, name: 'UNDO_INIT',
    apply: (p, r, c) => {
      noPayload(r);
      undoInit(p, c.pageSize);
    },
  },
  {
    type: EXTENDED, subtype: ExtendedSubtype.UNDO_APPEND, name: 'UNDO_APPEND',
    apply: (p, r, c) => {
      const f = decodeUndoAppend(r.bytes, r.dataStart, r.dataEnd, undo);
      undoAppend(p, c.pageSize, r.bytes, f.dataStart, f.dataEnd, fail);
    },
  },
  ...([ExtendedSubtype.INSERT_HEAP_REDUNDANT, ExtendedSubtype.INSERT_REUSE_REDUNDANT] as const).map((st) => ({
    type: EXTENDED, subtype: st, name: EXTENDED_SUBTYPE_NAMES[st]!,
    apply: (p: Uint8Array, r: PageRecord, c: ApplyContext) => {
      const f = decodeInsertRedundant(st, r.bytes, r.dataStart, r.dataEnd, insRed);
      insertRedundant(p, c.pageSize, r.pageNo, st === ExtendedSubtype.INSERT_REUSE_REDUNDANT, f, r.bytes, fail);
    },
  })),
  ...([ExtendedSubtype.INSERT_HEAP_DYNAMIC, ExtendedSubtype.INSERT_REUSE_DYNAMIC] as const).map((st) => ({
    type: EXTENDED, subtype: st, name: EXTENDED_SUBTYPE_NAMES[st]!,
    apply: (p: Uint8Array, r: PageRecord, c: ApplyContext) => {
      const f = decodeInsertDynamic(st, r.bytes, r.dataStart, r.dataEnd, insDyn);
      insertDynamic(p, c.pageSize, r.pageNo, st === ExtendedSubtype.INSERT_REUSE_DYNAMIC, f, r.bytes, fail);
    },
  })),
  {
    type: EXTENDED, subtype: ExtendedSubtype.DELETE_ROW_FORMAT_REDUNDANT, name: 'DELETE_ROW_FORMAT_REDUNDANT',
    apply: (p, r, c) => {
      const f = decodeDeleteRedundant(r.bytes, r.dataStart, r.dataEnd, delRed);
      deleteRedundant(p, c.pageSize, r.pageNo, f.prev, fail);
    },
  },
  {
    type: EXTENDED, subtype: ExtendedSubtype.DELETE_ROW_FORMAT_DYNAMIC, name: 'DELETE_ROW_FORMAT_DYNAMIC',
    apply: (p, r, c) => {
      const f = decodeDeleteDynamic(r.bytes, r.dataStart, r.dataEnd, delDyn);
      deleteDynamic(p, c.pageSize, r.pageNo, f, fail);
    },
  },
  {
    type: EXTENDED, subtype: ExtendedSubtype.TRIM_PAGES, name: 'TRIM_PAGES',
    apply: () => fail('TRIM_PAGES changes the tablespace size, not a page (it is handled when the log is planned)'),
  },
];

/** The table of appliers: every page record type, and every EXTENDED subtype. */
export const APPLIERS: readonly ApplierRow[] = rows;

const byType: (ApplierRow | undefined)[] = [];
const bySubtype: (ApplierRow | undefined)[] = [];
for (const r of rows) {
  if (r.type === EXTENDED) bySubtype[r.subtype] = r;
  else byType[r.type >>> 4] = r;
}

/** The applier row for a record type (and EXTENDED subtype), or undefined. */
export function applierFor(type: number, subtype: number): ApplierRow | undefined {
  if (type === EXTENDED) return bySubtype[subtype];
  return type >= 0 && type <= 0x70 && (type & 0x0f) === 0 ? byType[type >>> 4] : undefined;
}

/**
 * Applies one page record to `page` (in place). Throws ApplyError if the
 * record is not a page record, or if it or the page fails a check the server
 * makes before applying it; EXTENDED records are refused on pages 0..2.
 */
export function applyRecord(page: Uint8Array, rec: PageRecord, ctx: ApplyContext): void {
  curRec = rec;
  curCtx = ctx;
  const row = applierFor(rec.type, rec.subtype);
  if (row === undefined) {
    curName = rec.type === EXTENDED ? `EXTENDED(${rec.subtype})` : `record type 0x${rec.type.toString(16)}`;
    fail('not a page record type that can be applied');
  }
  curName = row.name;
  if (page.length < ctx.pageSize) fail(`page buffer of ${page.length} bytes for page size ${ctx.pageSize}`);
  if (rec.type === EXTENDED && rec.pageNo < 3) fail('EXTENDED records are invalid on pages 0, 1 and 2');
  try {
    row.apply(page, rec, ctx);
  } catch (e) {
    if (e instanceof CorruptLogError && !(e instanceof ApplyError)) fail(e.message);
    throw e;
  }
}
