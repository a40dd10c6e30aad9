import { crc32c } from './crc32c.js';
import { ChecksumMismatchError, CorruptLogError, TruncatedInputError, UnsupportedFormatError } from './errors.js';
import type { Lsn } from './lsn.js';

/**
 * The first 12288 bytes of `ib_logfile0` (redo-format.md 1.1-1.5): a 512-byte
 * header block at 0 and two 64-byte checkpoint blocks at 4096 and 8192. All
 * integers big-endian.
 *
 * Header block: u32 format | u32 0 | u64 first_lsn | 32-byte creator |
 * 28 bytes crypt parameters | zero | u32 CRC-32C(0..507) at 508.
 * Real bytes (server log created at LSN 44404):
 *
 *   00000000: 5068 7973 0000 0000 0000 0000 0000 ad74  Phys...........t
 *   00000010: 4d61 7269 6144 4220 3130 2e31 312e 3139  MariaDB 10.11.19
 *   000001f0: ... 810f c319                            CRC-32C(0..507)
 *
 * Checkpoint block: u64 checkpoint LSN | u64 end_lsn | 44 zero bytes |
 * u32 CRC-32C(0..59) at 60, e.g. `0000 0000 0000 ad84 0000 0000 0000 aed8`.
 */

/** File offset of the first byte of the circular data area. */
export const START_OFFSET = 12288;
/** Size of the header block covered by its CRC (CRC at 508). */
export const LOG_HEADER_SIZE = 512;
/** File offsets of checkpoint blocks 1 and 2. */
export const CHECKPOINT_1 = 4096;
export const CHECKPOINT_2 = 8192;
/** Meaningful bytes of a checkpoint block (CRC at 60). */
export const CHECKPOINT_SIZE = 64;
/** Smallest file recovery accepts: header area plus one 16-byte mtr. */
export const MIN_LOG_FILE_SIZE = START_OFFSET + 16;

/** "Phys": MariaDB 10.8+ unencrypted (encrypted 10.8-10.10 if bytes 48..51 are non-zero). */
export const FORMAT_10_8 = 0x50687973;
/** MariaDB 10.11+ encrypted log (UTF-8 of U+1F5DD). */
export const FORMAT_ENC_11 = 0xf09f979d;
/** MariaDB 10.5-10.7 "PHYS" format, plain and encrypted. */
export const FORMAT_10_5 = 0x50485953;
export const FORMAT_ENC_10_5 = 0xd0485953;
/** MariaDB 10.3 / 10.4 formats (bit 31 set = encrypted). */
export const FORMAT_10_3 = 103;
export const FORMAT_10_4 = 104;

/** Parsed header block of a 10.8+ unencrypted log. */
export interface LogHeader {
  format: number;
  /** LSN of file offset 12288 on the first pass. */
  firstLsn: Lsn;
  /** Creator string, e.g. "MariaDB 10.11.19" or "Backup 10.11.19". */
  creator: string;
}

/** A valid checkpoint block. */
export interface Checkpoint {
  checkpointLsn: Lsn;
  /** LSN of the FILE_CHECKPOINT mtr written for this checkpoint. */
  endLsn: Lsn;
  block: 1 | 2;
}

const latin1 = new TextDecoder('latin1');

function readCreator(bytes: Uint8Array, at: number): string {
  const raw = bytes.subarray(at, at + 32);
  const nul = raw.indexOf(0);
  return latin1.decode(nul < 0 ? raw : raw.subarray(0, nul));
}

function allZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Names a header that is not a 10.8+ unencrypted log, for UnsupportedFormatError. */
function describeForeignFormat(bytes: Uint8Array, format: number): string {
  const creator = readCreator(bytes, 16);
  if (/^MySQL/.test(creator)) {
    const v = format === 6 ? ', MySQL 8.0.30+ #innodb_redo/#ib_redoN' : format >= 2 ? ', MySQL 8.0 before 8.0.30' : '';
    return `MySQL redo log (format ${format}${v}, creator "${creator}"); ibarchive reads MariaDB 10.8+ logs only`;
  }
  if (format === FORMAT_ENC_11) return 'encrypted redo log (MariaDB 10.11+ innodb_encrypt_log=ON) is not supported';
  if (format === FORMAT_10_8) return 'encrypted redo log (MariaDB 10.8-10.10 innodb_encrypt_log=ON) is not supported';
  if (format === FORMAT_10_5 || format === FORMAT_ENC_10_5) {
    return 'MariaDB 10.5-10.7 redo log format is not supported (MariaDB 10.8+ only)';
  }
  const plain = format & 0x7fffffff;
  if (plain === FORMAT_10_3 || plain === FORMAT_10_4) {
    return `MariaDB 10.${plain - 100} redo log format is not supported (MariaDB 10.8+ only)`;
  }
  if (plain === 1) return `MariaDB 10.2 / MySQL 5.7 redo log format (creator "${creator}") is not supported (MariaDB 10.8+ only)`;
  if (plain === 0) {
    if (allZero(bytes, 0, LOG_HEADER_SIZE)) return 'not a redo log: the header block is all zero';
    return 'redo log format 0 (MySQL/MariaDB before 5.7.9/10.2) is not supported';
  }
  return `not an InnoDB redo log: unknown format identifier 0x${(format >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * Parses the 512-byte header block at file offset 0. Throws
 * UnsupportedFormatError naming any other format (MySQL, MariaDB < 10.8,
 * encrypted, all-zero), ChecksumMismatchError, TruncatedInputError.
 */
export function parseLogHeader(bytes: Uint8Array, file: string): LogHeader {
  if (bytes.length < LOG_HEADER_SIZE) {
    throw new TruncatedInputError(`redo log header truncated: ${bytes.length} of ${LOG_HEADER_SIZE} bytes`, { file, offset: 0 });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, LOG_HEADER_SIZE);
  const format = view.getUint32(0);
  const encrypted = format === FORMAT_10_8 && view.getUint32(48) !== 0;
  if (format !== FORMAT_10_8 || encrypted) {
    throw new UnsupportedFormatError(describeForeignFormat(bytes, format), { file, offset: 0 });
  }
  const stored = view.getUint32(508);
  const actual = crc32c(bytes.subarray(0, 508));
  if (stored !== actual) {
    throw new ChecksumMismatchError('redo log header checksum mismatch', stored, actual, { file, offset: 508 });
  }
  if (view.getUint32(4) !== 0) {
    throw new UnsupportedFormatError(`unsupported redo log header: bytes 4..7 are ${view.getUint32(4)}, must be 0`, { file, offset: 4 });
  }
  const firstLsn = view.getBigUint64(8);
  if (firstLsn < BigInt(START_OFFSET)) {
    throw new CorruptLogError(`redo log header first_lsn ${firstLsn} is below ${START_OFFSET}`, { file, offset: 8 });
  }
  return { format, firstLsn, creator: readCreator(bytes, 16) };
}

/**
 * Parses both checkpoint blocks of the first 12288 bytes and returns the valid
 * ones and the latest (largest checkpoint LSN; block 2 wins a tie). A block is
 * valid iff its CRC matches, bytes 16..59 are zero, checkpoint >= first_lsn and
 * end_lsn >= checkpoint. Throws CorruptLogError if neither is valid.
 */
export function parseCheckpoints(
  bytes: Uint8Array,
  header: LogHeader,
  file: string,
): { latest: Checkpoint; valid: Checkpoint[] } {
  if (bytes.length < CHECKPOINT_2 + CHECKPOINT_SIZE) {
    throw new TruncatedInputError(`redo log checkpoint blocks truncated: ${bytes.length} bytes`, { file, offset: 0 });
  }
  const valid: Checkpoint[] = [];
  for (const [block, at] of [[1, CHECKPOINT_1], [2, CHECKPOINT_2]] as const) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, CHECKPOINT_SIZE);
    if (view.getUint32(60) !== crc32c(bytes.subarray(at, at + 60))) continue;
    if (!allZero(bytes, at + 16, at + 60)) continue;
    const checkpointLsn = view.getBigUint64(0);
    const endLsn = view.getBigUint64(8);
    if (checkpointLsn < header.firstLsn || endLsn < checkpointLsn) continue;
    valid.push({ checkpointLsn, endLsn, block });
  }
  if (valid.length === 0) throw new CorruptLogError('no valid checkpoint found in redo log', { file, offset: CHECKPOINT_1 });
  let latest = valid[0]!;
  for (const c of valid) if (c.checkpointLsn >= latest.checkpointLsn) latest = c;
  return { latest, valid };
}

/** Encodes a 512-byte header block (FORMAT_10_8, unencrypted) with its CRC. */
export function encodeLogHeader(h: { firstLsn: Lsn; creator: string }): Uint8Array {
  const out = new Uint8Array(LOG_HEADER_SIZE);
  const view = new DataView(out.buffer);
  view.setUint32(0, FORMAT_10_8);
  view.setBigUint64(8, h.firstLsn);
  const creator = new TextEncoder().encode(h.creator);
  if (creator.length > 32) throw new RangeError(`creator longer than 32 bytes: ${h.creator}`);
  out.set(creator, 16);
  view.setUint32(508, crc32c(out.subarray(0, 508)));
  return out;
}

/** Encodes a 64-byte checkpoint block with its CRC. */
export function encodeCheckpointBlock(checkpointLsn: Lsn, endLsn: Lsn): Uint8Array {
  const out = new Uint8Array(CHECKPOINT_SIZE);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, checkpointLsn);
  view.setBigUint64(8, endLsn);
  view.setUint32(60, crc32c(out.subarray(0, 60)));
  return out;
}

/**
 * The 12304-byte logically empty log that mariadb-backup --prepare writes
 * (section 6.6), for a log that must continue at `endLsn`: with X = endLsn - 16,
 * first_lsn = X, checkpoint block 1 = (X, X), block 2 zero, and at 12288 the
 * 16-byte mtr FILE_CHECKPOINT(X) `fa 00 00 X(8) 01 CRC(4)`.
 */
export function encodeEmptyLog(endLsn: Lsn, creator = 'Backup 10.11.19'): Uint8Array {
  const x = endLsn - 16n;
  const out = new Uint8Array(START_OFFSET + 16);
  out.set(encodeLogHeader({ firstLsn: x, creator }), 0);
  out.set(encodeCheckpointBlock(x, x), CHECKPOINT_1);
  const view = new DataView(out.buffer);
  out[START_OFFSET] = 0xfa;
  view.setBigUint64(START_OFFSET + 3, x);
  out[START_OFFSET + 11] = 1;
  view.setUint32(START_OFFSET + 12, crc32c(out.subarray(START_OFFSET, START_OFFSET + 11)));
  return out;
}
