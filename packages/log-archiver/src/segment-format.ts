import { ChecksumMismatchError, CorruptLogError, crc32c, formatLsn, type Lsn, TruncatedInputError, UnsupportedFormatError } from '@ibarchive/parser';

/**
 * Archived segment file, version 1. A self-describing header followed by the
 * payload. The payload (after decompression) is the linear redo log
 * [startLsn, endLsn) exactly as the server wrote it, except that every mtr
 * terminator byte is 1 (as mariadb-backup writes its backup log; the mtr CRC
 * does not cover it), so it decodes with the parser's `linearSource`. All
 * integers big-endian.
 *
 * | Offset | Size | Field |
 * |---|---|---|
 * | 0x00 | 8 | magic `IBARSEG1` |
 * | 0x08 | 2 | version = 1 |
 * | 0x0a | 2 | header length H = 0x8c + 16·N (through the header CRC) |
 * | 0x0c | 4 | redo log format of the source log (0x50687973) |
 * | 0x10 | 8 | start LSN |
 * | 0x18 | 8 | end LSN (exclusive; payload holds end − start log bytes) |
 * | 0x20 | 8 | stored payload length (bytes after the header, compressed if compressed) |
 * | 0x28 | 4 | CRC-32C of the uncompressed payload |
 * | 0x2c | 1 | compression: 0 none, 1 LZ4 frame |
 * | 0x2d | 1 | zero |
 * | 0x2e | 2 | N = number of time samples |
 * | 0x30 | 16 | archive id (random, fixed at the archive's first run) |
 * | 0x40 | 8 | first_lsn of the server log the archive was started on |
 * | 0x48 | 32 | creator string of the server log, NUL-padded |
 * | 0x68 | 32 | SHA-256 of the previous segment file (zero for the first segment) |
 * | 0x88 | 16·N | samples: u64 Unix time in ms, u64 LSN archived by then |
 * | H−4 | 4 | CRC-32C of header bytes [0, H−4) |
 *
 * Worked example (the unit test builds it): a segment of the single 16-byte
 * mtr FILE_CHECKPOINT(44404) at LSN 44404 (0xad74), uncompressed, archive id
 * 00 01 .. 0f, first_lsn 44404, creator "MariaDB 10.11.19", no previous
 * segment, one sample (time 0x019a0000_0000, LSN 44420):
 *
 *   00000000: 4942 4152 5345 4731 0001 009c 5068 7973  IBARSEG1, v1, H=0x9c, Phys
 *   00000010: 0000 0000 0000 ad74 0000 0000 0000 ad84  start 44404, end 44420
 *   00000020: 0000 0000 0000 0010 694e 5968 0000 0001  stored 16, CRC, none, N=1
 *   00000030: 0001 0203 0405 0607 0809 0a0b 0c0d 0e0f  archive id
 *   00000040: 0000 0000 0000 ad74 4d61 7269 6144 4220  origin first_lsn, "MariaDB "
 *   00000050: 3130 2e31 312e 3139 0000 0000 0000 0000  "10.11.19", NUL padding
 *   00000060: 0000 0000 0000 0000 0000 0000 0000 0000  previous hash: zero (0x68..0x87)
 *   00000070: 0000 0000 0000 0000 0000 0000 0000 0000
 *   00000080: 0000 0000 0000 0000 0000 019a 0000 0000  sample: time 0x019a00000000 ms,
 *   00000090: 0000 0000 0000 ad84 f6e2 09ab fa00 0000    LSN 44420; header CRC; payload:
 *   000000a0: 0000 0000 00ad 7401 add4 e8f9            FILE_CHECKPOINT(44404), T=01, CRC
 */

export const SEGMENT_MAGIC = 'IBARSEG1';
export const SEGMENT_VERSION = 1;
/** Header bytes before the samples. */
export const SEGMENT_FIXED_HEADER = 0x88;
/** Most samples one header holds. */
export const MAX_SAMPLES = 4096;

export type Compression = 'none' | 'lz4';

/** A (wall-clock time, LSN) pair: by `timeMs` the archiver had seen the log up to `lsn`. */
export interface TimeSample {
  timeMs: number;
  lsn: Lsn;
}

/** Decoded segment header. */
export interface SegmentHeader {
  version: number;
  headerLength: number;
  logFormat: number;
  startLsn: Lsn;
  endLsn: Lsn;
  storedLength: number;
  payloadCrc: number;
  compression: Compression;
  archiveId: string;
  originFirstLsn: Lsn;
  creator: string;
  /** Hex SHA-256 of the previous segment file, or undefined for the first. */
  previousHash: string | undefined;
  samples: TimeSample[];
}

const COMPRESSION_CODES: Record<Compression, number> = { none: 0, lz4: 1 };
const latin1 = new TextDecoder('latin1');

/** Header length for `n` samples. */
export function segmentHeaderLength(n: number): number {
  return SEGMENT_FIXED_HEADER + 16 * n + 4;
}

/** The longest header (MAX_SAMPLES samples): writers keep this much free before a payload to put the header there. */
export const HEADER_ROOM = segmentHeaderLength(MAX_SAMPLES);

/** Encodes a header (fields as in the table above). */
export function encodeSegmentHeader(h: Omit<SegmentHeader, 'version' | 'headerLength'>): Uint8Array {
  if (h.samples.length > MAX_SAMPLES) throw new RangeError(`too many time samples: ${h.samples.length}`);
  const len = segmentHeaderLength(h.samples.length);
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode(SEGMENT_MAGIC), 0);
  v.setUint16(0x08, SEGMENT_VERSION);
  v.setUint16(0x0a, len);
  v.setUint32(0x0c, h.logFormat);
  v.setBigUint64(0x10, h.startLsn);
  v.setBigUint64(0x18, h.endLsn);
  v.setBigUint64(0x20, BigInt(h.storedLength));
  v.setUint32(0x28, h.payloadCrc >>> 0);
  out[0x2c] = COMPRESSION_CODES[h.compression];
  v.setUint16(0x2e, h.samples.length);
  out.set(hexBytes(h.archiveId, 16, 'archive id'), 0x30);
  v.setBigUint64(0x40, h.originFirstLsn);
  const creator = new TextEncoder().encode(h.creator);
  out.set(creator.subarray(0, 32), 0x48);
  if (h.previousHash !== undefined) out.set(hexBytes(h.previousHash, 32, 'previous hash'), 0x68);
  h.samples.forEach((s, i) => {
    v.setBigUint64(SEGMENT_FIXED_HEADER + 16 * i, BigInt(s.timeMs));
    v.setBigUint64(SEGMENT_FIXED_HEADER + 16 * i + 8, s.lsn);
  });
  v.setUint32(len - 4, crc32c(out.subarray(0, len - 4)));
  return out;
}

/**
 * Decodes a header from the first bytes of a segment file (at least
 * SEGMENT_FIXED_HEADER; the full header if it has samples). Throws
 * UnsupportedFormatError (not a segment / unknown version),
 * TruncatedInputError, ChecksumMismatchError, CorruptLogError.
 */
export function decodeSegmentHeader(bytes: Uint8Array, file: string): SegmentHeader {
  if (bytes.length < 8 || latin1.decode(bytes.subarray(0, 8)) !== SEGMENT_MAGIC) {
    throw new UnsupportedFormatError('not an ibarchive segment (bad magic)', { file, offset: 0 });
  }
  if (bytes.length < SEGMENT_FIXED_HEADER + 4) {
    throw new TruncatedInputError(`segment header truncated: ${bytes.length} bytes`, { file, offset: 0 });
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = v.getUint16(0x08);
  if (version !== SEGMENT_VERSION) throw new UnsupportedFormatError(`unsupported segment version ${version}`, { file, offset: 8 });
  const headerLength = v.getUint16(0x0a);
  const n = v.getUint16(0x2e);
  if (headerLength !== segmentHeaderLength(n)) {
    throw new CorruptLogError(`segment header length ${headerLength} does not match ${n} samples`, { file, offset: 0x0a });
  }
  if (bytes.length < headerLength) {
    throw new TruncatedInputError(`segment header truncated: ${bytes.length} of ${headerLength} bytes`, { file, offset: 0 });
  }
  const stored = v.getUint32(headerLength - 4);
  const actual = crc32c(bytes.subarray(0, headerLength - 4));
  if (stored !== actual) throw new ChecksumMismatchError('segment header checksum mismatch', stored, actual, { file, offset: headerLength - 4 });
  const code = bytes[0x2c]!;
  const compression = (Object.keys(COMPRESSION_CODES) as Compression[]).find((k) => COMPRESSION_CODES[k] === code);
  if (compression === undefined) throw new UnsupportedFormatError(`unknown segment compression code ${code}`, { file, offset: 0x2c });
  const startLsn = v.getBigUint64(0x10);
  const endLsn = v.getBigUint64(0x18);
  if (endLsn < startLsn) {
    throw new CorruptLogError(`segment end LSN ${formatLsn(endLsn)} precedes its start ${formatLsn(startLsn)}`, { file, offset: 0x18 });
  }
  const prev = bytes.subarray(0x68, 0x88);
  const samples: TimeSample[] = [];
  for (let i = 0; i < n; i++) {
    const at = SEGMENT_FIXED_HEADER + 16 * i;
    samples.push({ timeMs: Number(v.getBigUint64(at)), lsn: v.getBigUint64(at + 8) });
  }
  const creatorRaw = bytes.subarray(0x48, 0x68);
  const nul = creatorRaw.indexOf(0);
  return {
    version,
    headerLength,
    logFormat: v.getUint32(0x0c),
    startLsn,
    endLsn,
    storedLength: Number(v.getBigUint64(0x20)),
    payloadCrc: v.getUint32(0x28),
    compression,
    archiveId: toHex(bytes.subarray(0x30, 0x40)),
    originFirstLsn: v.getBigUint64(0x40),
    creator: latin1.decode(nul < 0 ? creatorRaw : creatorRaw.subarray(0, nul)),
    previousHash: prev.every((b) => b === 0) ? undefined : toHex(prev),
    samples,
  };
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

function hexBytes(hex: string, n: number, what: string): Uint8Array {
  if (!new RegExp(`^[0-9a-f]{${2 * n}}$`).test(hex)) throw new RangeError(`${what} must be ${2 * n} hex digits: ${hex}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** File name of the segment [start, end): `seg-<start>-<end>.ibseg`, 16 hex digits each, so names sort by LSN. */
export function segmentFileName(start: Lsn, end: Lsn): string {
  return `seg-${hex16(start)}-${hex16(end)}.ibseg`;
}

/** File name of a gap record [from, to). */
export function gapFileName(from: Lsn, to: Lsn): string {
  return `gap-${hex16(from)}-${hex16(to)}.json`;
}

/** Parses a segment or gap file name into its LSN range; undefined for other names. */
export function parseRangeFileName(name: string): { kind: 'segment' | 'gap'; from: Lsn; to: Lsn } | undefined {
  const m = /^(seg|gap)-([0-9a-f]{16})-([0-9a-f]{16})\.(ibseg|json)$/.exec(name);
  if (!m || (m[1] === 'seg') !== (m[4] === 'ibseg')) return undefined;
  return { kind: m[1] === 'seg' ? 'segment' : 'gap', from: BigInt('0x' + m[2]), to: BigInt('0x' + m[3]) };
}

function hex16(lsn: Lsn): string {
  return lsn.toString(16).padStart(16, '0');
}
