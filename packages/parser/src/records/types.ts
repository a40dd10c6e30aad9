/**
 * Record type codes (redo-format.md 4.1, 4.6, 4.7), named as in MariaDB's
 * mtr0types.h. Page records use bits 6..4 of the first byte (`b & 0x70`);
 * file-level records (bit 7 set before any page record of the mtr) use the
 * whole high nibble (`b & 0xF0`).
 */
export const FREE_PAGE = 0x00;
export const INIT_PAGE = 0x10;
export const EXTENDED = 0x20;
export const WRITE = 0x30;
export const MEMSET = 0x40;
export const MEMMOVE = 0x50;
/** Never valid: an unknown record (corruption). */
export const RESERVED = 0x60;
export const OPTION = 0x70;
export const FILE_CREATE = 0x80;
export const FILE_DELETE = 0x90;
export const FILE_RENAME = 0xa0;
export const FILE_MODIFY = 0xb0;
export const FILE_CHECKPOINT = 0xf0;
/**
 * Not an on-disk code: a FILE_CHECKPOINT record whose payload is not an
 * 8-byte LSN but all zero bytes (including `f1 00`), a no-op (3.7).
 */
export const PADDING = 0x100;

/** Numeric record type as decoded by RecordReader. */
export type RecordType =
  | typeof FREE_PAGE
  | typeof INIT_PAGE
  | typeof EXTENDED
  | typeof WRITE
  | typeof MEMSET
  | typeof MEMMOVE
  | typeof OPTION
  | typeof FILE_CREATE
  | typeof FILE_DELETE
  | typeof FILE_RENAME
  | typeof FILE_MODIFY
  | typeof FILE_CHECKPOINT
  | typeof PADDING;

/** EXTENDED subtypes (the byte after the page id, 4.6), named as in mtr0types.h `mrec_ext_t`. */
export const ExtendedSubtype = {
  INIT_ROW_FORMAT_REDUNDANT: 0,
  INIT_ROW_FORMAT_DYNAMIC: 1,
  UNDO_INIT: 2,
  UNDO_APPEND: 3,
  INSERT_HEAP_REDUNDANT: 4,
  INSERT_REUSE_REDUNDANT: 5,
  INSERT_HEAP_DYNAMIC: 6,
  INSERT_REUSE_DYNAMIC: 7,
  DELETE_ROW_FORMAT_REDUNDANT: 8,
  DELETE_ROW_FORMAT_DYNAMIC: 9,
  TRIM_PAGES: 10,
} as const;
export type ExtendedSubtype = (typeof ExtendedSubtype)[keyof typeof ExtendedSubtype];

/** Subtype names indexed by subtype number. */
export const EXTENDED_SUBTYPE_NAMES: readonly string[] = Object.keys(ExtendedSubtype);

/**
 * The fields of a decoded page record, satisfied both by RecordReader (while
 * positioned on a record) and by the records prepare stores per page. All
 * offsets are absolute page offsets with the 4.3 cursor already applied.
 */
export interface PageRecord {
  /** FREE_PAGE, INIT_PAGE, EXTENDED, WRITE, MEMSET, MEMMOVE or OPTION. */
  readonly type: number;
  /** EXTENDED subtype (ExtendedSubtype); OPTION: first payload byte; else -1. */
  readonly subtype: number;
  readonly spaceId: number;
  readonly pageNo: number;
  /** Holds the record at [recStart, recEnd) and its data at [dataStart, dataEnd). */
  readonly bytes: Uint8Array;
  readonly recStart: number;
  readonly recEnd: number;
  /** WRITE / MEMSET / MEMMOVE: absolute target offset in the page. */
  readonly offset: number;
  /** WRITE: data length; MEMSET / MEMMOVE: bytes written. */
  readonly length: number;
  /** MEMMOVE: absolute source offset in the page. */
  readonly source: number;
  /** WRITE data, MEMSET fill pattern, EXTENDED payload after the subtype byte, OPTION payload. */
  readonly dataStart: number;
  readonly dataEnd: number;
}
