export { type Lsn, formatLsn, formatOffset, parseLsn } from './lsn.js';
export { crc32c } from './crc32c.js';
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
