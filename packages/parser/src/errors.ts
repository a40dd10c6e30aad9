import { formatLsn, formatOffset, type Lsn } from './lsn.js';

/**
 * Exit-code classes shared by every package; the CLI maps them to process exit
 * codes in one place. `usage` = bad flags, `input` = wrong path / unsupported or
 * foreign format, `corrupt` = data that fails validation, `gap` = log missing
 * from a needed range, `refused` = a safety check declined to act.
 */
export type ErrorClass = 'usage' | 'input' | 'corrupt' | 'gap' | 'refused' | 'internal';

/** Where in the log an error was found. All fields optional; the more, the better. */
export interface LogPosition {
  lsn?: Lsn | undefined;
  file?: string | undefined;
  offset?: number | bigint | undefined;
}

/** Formats a position as "at LSN 4794796 (ib_logfile0, offset 0x3000)". */
export function describePosition(pos: LogPosition): string {
  const parts: string[] = [];
  if (pos.file !== undefined) parts.push(pos.file);
  if (pos.offset !== undefined) parts.push('offset ' + formatOffset(pos.offset));
  const where = parts.length ? ` (${parts.join(', ')})` : '';
  if (pos.lsn !== undefined) return `at LSN ${formatLsn(pos.lsn)}${where}`;
  return parts.length ? `in ${parts.join(', ')}` : '';
}

/** Base of every typed ibarchive error: a one-line message plus where it happened. */
export class IbarchiveError extends Error {
  readonly errorClass: ErrorClass;
  readonly lsn: Lsn | undefined;
  readonly file: string | undefined;
  readonly offset: number | bigint | undefined;

  constructor(errorClass: ErrorClass, what: string, pos: LogPosition = {}) {
    const where = describePosition(pos);
    super(where ? `${what} ${where}` : what);
    this.name = new.target.name;
    this.errorClass = errorClass;
    this.lsn = pos.lsn;
    this.file = pos.file;
    this.offset = pos.offset;
  }
}

/** Input ended inside a structure that must be complete (a file too short, a cut record). */
export class TruncatedInputError extends IbarchiveError {
  constructor(what: string, pos: LogPosition = {}) {
    super('input', what, pos);
  }
}

/** A stored checksum does not match the bytes it covers. */
export class ChecksumMismatchError extends IbarchiveError {
  readonly expected: number;
  readonly actual: number;
  constructor(what: string, expected: number, actual: number, pos: LogPosition = {}) {
    const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
    super('corrupt', what, pos);
    this.message += `: expected ${hex(expected)}, got ${hex(actual)}`;
    this.expected = expected >>> 0;
    this.actual = actual >>> 0;
  }
}

/** Bytes that pass framing checks but violate the record format. */
export class CorruptLogError extends IbarchiveError {
  constructor(what: string, pos: LogPosition = {}) {
    super('corrupt', what, pos);
  }
}

/** A log or data format ibarchive does not (yet) handle: MySQL, MariaDB < 10.8, encrypted ... */
export class UnsupportedFormatError extends IbarchiveError {
  constructor(what: string, pos: LogPosition = {}) {
    super('input', what, pos);
  }
}

/** Log needed for an operation is not available (overrun, missing segment). */
export class LogGapError extends IbarchiveError {
  constructor(what: string, pos: LogPosition = {}) {
    super('gap', what, pos);
  }
}

/** A user-facing problem with arguments or paths (wrong directory, bad value). */
export class UsageError extends IbarchiveError {
  constructor(what: string) {
    super('usage', what);
  }
}

/** A bad path or a file that is not what it should be. */
export class InputError extends IbarchiveError {
  constructor(what: string, pos: LogPosition = {}) {
    super('input', what, pos);
  }
}

/** A safety check declined the operation; nothing was changed. */
export class RefusedError extends IbarchiveError {
  constructor(what: string, pos: LogPosition = {}) {
    super('refused', what, pos);
  }
}
