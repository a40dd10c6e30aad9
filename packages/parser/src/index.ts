export { type Lsn, formatLsn, formatOffset, parseLsn } from './lsn.js';
export { crc32c, crc32cRange, crc32cTable, nativeCrc32cAvailable } from './crc32c.js';
export { batchCrc, type VerifyMtrCrcs } from './crc32c-batch.js';
export {
  type ErrorClass,
  type LogPosition,
  describePosition,
  IbarchiveError,
  TruncatedInputError,
  ChecksumMismatchError,
  CorruptLogError,
  UnsupportedFormatError,
  LogGapError,
  UsageError,
  InputError,
  RefusedError,
} from './errors.js';
export { ByteCursor } from './cursor.js';
export { decodeVarint, encodeVarint, varintLength } from './varint.js';
export {
  START_OFFSET,
  LOG_HEADER_SIZE,
  CHECKPOINT_1,
  CHECKPOINT_2,
  CHECKPOINT_SIZE,
  MIN_LOG_FILE_SIZE,
  FORMAT_10_8,
  FORMAT_ENC_11,
  FORMAT_10_5,
  FORMAT_ENC_10_5,
  FORMAT_10_3,
  FORMAT_10_4,
  type LogHeader,
  type Checkpoint,
  parseLogHeader,
  parseCheckpoints,
  encodeLogHeader,
  encodeCheckpointBlock,
  encodeEmptyLog,
} from './header.js';
export {
  type RandomAccess,
  type LogSource,
  type CircularLog,
  memoryFile,
  openCircularLog,
  linearSource,
} from './source.js';
export {
  MTR_SIZE_MAX,
  type EndReason,
  MtrScan,
  scanMtr,
  type MtrBatch,
  type LogEnd,
  type ReadMtrOptions,
  readMtrBatches,
} from './mtr.js';
export { MtrStream, MtrStreamResult } from './stream.js';
export { KnownMtrs } from './known-mtrs.js';
export {
  FREE_PAGE,
  INIT_PAGE,
  EXTENDED,
  WRITE,
  MEMSET,
  MEMMOVE,
  RESERVED,
  OPTION,
  FILE_CREATE,
  FILE_DELETE,
  FILE_RENAME,
  FILE_MODIFY,
  FILE_CHECKPOINT,
  PADDING,
  type RecordType,
  ExtendedSubtype,
  EXTENDED_SUBTYPE_NAMES,
  type PageRecord,
} from './records/types.js';
export { PageResetSink } from './records/resets.js';
export { RecordReader, type RecordReaderOptions, type RecordErrorContext } from './records/reader.js';
export { type InsertRedundantFields, type InsertDynamicFields, type DeleteRedundantFields, type DeleteDynamicFields, type UndoAppendFields, newInsertRedundantFields, newInsertDynamicFields, newDeleteRedundantFields, newDeleteDynamicFields, newUndoAppendFields, extendedSubtypeName, checkEmptyPayload, decodeUndoAppend, decodeInsertRedundant, decodeInsertDynamic, decodeDeleteRedundant, decodeDeleteDynamic, describeExtended, validateExtended } from './extended.js';
export {
  type RecordTypeInfo,
  RECORD_TYPES,
  recordTypeInfo,
  recordName,
  describeRecord,
  recordToJSON,
  hexSlice,
} from './records/describe.js';
