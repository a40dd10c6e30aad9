import { describeExtended } from '../extended.js';
import { formatLsn } from '../lsn.js';
import type { RecordReader } from './reader.js';
import {
  EXTENDED,
  EXTENDED_SUBTYPE_NAMES,
  FILE_CHECKPOINT,
  FILE_CREATE,
  FILE_DELETE,
  FILE_MODIFY,
  FILE_RENAME,
  FREE_PAGE,
  INIT_PAGE,
  MEMMOVE,
  MEMSET,
  OPTION,
  PADDING,
  WRITE,
} from './types.js';

/**
 * The single table of record types: name, a one-line description of the
 * payload and the JSON fields of `ibarchive dump --json`. Descriptions and
 * JSON read the current record of a RecordReader.
 */
export interface RecordTypeInfo {
  readonly type: number;
  readonly name: string;
  /** True for page records (they carry space:page). */
  readonly page: boolean;
  /** Payload summary, e.g. "offset 50 len 6 data ffffffff0000". */
  describe(r: RecordReader): string;
  /** Type-specific JSON fields (LSNs as decimal strings). */
  toJSON(r: RecordReader): Record<string, unknown>;
}

const MAX_HEX = 32;

/** Hex of bytes[start, end), cut to 32 bytes with "..." appended. */
export function hexSlice(bytes: Uint8Array, start: number, end: number, max = MAX_HEX): string {
  let s = '';
  const stop = Math.min(end, start + max);
  for (let i = start; i < stop; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return end > stop ? s + '...' : s;
}

const none = () => '';
const noFields = () => ({});

const table: RecordTypeInfo[] = [
  { type: FREE_PAGE, name: 'FREE_PAGE', page: true, describe: none, toJSON: noFields },
  { type: INIT_PAGE, name: 'INIT_PAGE', page: true, describe: none, toJSON: noFields },
  {
    type: EXTENDED,
    name: 'EXTENDED',
    page: true,
    describe: (r) => describeExtended(r.subtype, r.bytes, r.dataStart, r.dataEnd, r.position()),
    toJSON: (r) => ({ subtype: EXTENDED_SUBTYPE_NAMES[r.subtype], payload: hexSlice(r.bytes, r.dataStart, r.dataEnd, Infinity) }),
  },
  {
    type: WRITE,
    name: 'WRITE',
    page: true,
    describe: (r) => `offset ${r.offset} len ${r.length} data ${hexSlice(r.bytes, r.dataStart, r.dataEnd)}`,
    toJSON: (r) => ({ offset: r.offset, length: r.length, data: hexSlice(r.bytes, r.dataStart, r.dataEnd, Infinity) }),
  },
  {
    type: MEMSET,
    name: 'MEMSET',
    page: true,
    describe: (r) => `offset ${r.offset} len ${r.length} fill ${hexSlice(r.bytes, r.dataStart, r.dataEnd)}`,
    toJSON: (r) => ({ offset: r.offset, length: r.length, fill: hexSlice(r.bytes, r.dataStart, r.dataEnd, Infinity) }),
  },
  {
    type: MEMMOVE,
    name: 'MEMMOVE',
    page: true,
    describe: (r) => `offset ${r.offset} len ${r.length} from ${r.source}`,
    toJSON: (r) => ({ offset: r.offset, length: r.length, source: r.source }),
  },
  {
    type: OPTION,
    name: 'OPTION',
    page: true,
    describe: (r) => `subtype ${r.subtype} ${hexSlice(r.bytes, r.dataStart, r.dataEnd)}`,
    toJSON: (r) => ({ subtype: r.subtype, payload: hexSlice(r.bytes, r.dataStart, r.dataEnd, Infinity) }),
  },
  {
    type: FILE_CREATE,
    name: 'FILE_CREATE',
    page: false,
    describe: (r) => `space ${r.spaceId} ${r.fileName()}`,
    toJSON: (r) => ({ space: r.spaceId, name: r.fileName() }),
  },
  {
    type: FILE_DELETE,
    name: 'FILE_DELETE',
    page: false,
    describe: (r) => `space ${r.spaceId} ${r.fileName()}`,
    toJSON: (r) => ({ space: r.spaceId, name: r.fileName() }),
  },
  {
    type: FILE_RENAME,
    name: 'FILE_RENAME',
    page: false,
    describe: (r) => `space ${r.spaceId} ${r.fileName()} -> ${r.newFileName()}`,
    toJSON: (r) => ({ space: r.spaceId, name: r.fileName(), newName: r.newFileName() }),
  },
  {
    type: FILE_MODIFY,
    name: 'FILE_MODIFY',
    page: false,
    describe: (r) => `space ${r.spaceId} ${r.fileName()}`,
    toJSON: (r) => ({ space: r.spaceId, name: r.fileName() }),
  },
  {
    type: FILE_CHECKPOINT,
    name: 'FILE_CHECKPOINT',
    page: false,
    describe: (r) => `checkpoint ${formatLsn(r.checkpointLsn)}`,
    toJSON: (r) => ({ checkpointLsn: formatLsn(r.checkpointLsn) }),
  },
  {
    type: PADDING,
    name: 'PADDING',
    page: false,
    describe: (r) => `${r.recEnd - r.recStart} bytes`,
    toJSON: (r) => ({ bytes: r.recEnd - r.recStart }),
  },
];

/** Every record type, in code order. */
export const RECORD_TYPES: readonly RecordTypeInfo[] = table;

const byCode: RecordTypeInfo[] = [];
for (const t of table) byCode[t.type >> 4] = t;

/** The table row of a record type code. */
export function recordTypeInfo(type: number): RecordTypeInfo {
  const t = byCode[type >> 4];
  if (!t || t.type !== type) throw new RangeError(`unknown record type ${type}`);
  return t;
}

/** "WRITE", or for EXTENDED the subtype name ("UNDO_APPEND"): the key used by dump --stats. */
export function recordName(type: number, subtype: number): string {
  return type === EXTENDED ? (EXTENDED_SUBTYPE_NAMES[subtype] ?? 'EXTENDED') : recordTypeInfo(type).name;
}

/** One-line description of the reader's current record: "WRITE 0:45 offset 50 len 6 data ...". */
export function describeRecord(r: RecordReader): string {
  const info = recordTypeInfo(r.type);
  const where = info.page ? ` ${r.spaceId}:${r.pageNo}` : '';
  const what = info.describe(r);
  return what ? `${info.name}${where} ${what}` : `${info.name}${where}`;
}

/** JSON object of the reader's current record. */
export function recordToJSON(r: RecordReader): Record<string, unknown> {
  const info = recordTypeInfo(r.type);
  const base: Record<string, unknown> = { lsn: formatLsn(r.lsn), type: info.name };
  if (info.page) {
    base['space'] = r.spaceId;
    base['page'] = r.pageNo;
  }
  return Object.assign(base, info.toJSON(r));
}
