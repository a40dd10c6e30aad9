import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decompressFrameSync } from 'lz4-napi';
import { ChecksumMismatchError, CorruptLogError, crc32c, type Lsn } from '@ibarchive/parser';
import { writeFileDurable } from './durable.js';
import { compressLz4Frame } from './lz4-frame.js';
import {
  type Compression,
  decodeSegmentHeader,
  encodeSegmentHeader,
  HEADER_ROOM,
  segmentFileName,
  type SegmentHeader,
  type TimeSample,
} from './segment-format.js';

/** What the archiver knows about the log it archives; copied into every segment header. */
export interface SegmentIdentity {
  archiveId: string;
  originFirstLsn: Lsn;
  creator: string;
  logFormat: number;
}

/** A segment as written: its file name, SHA-256 (for the next segment's chain link) and header. */
export interface WrittenSegment {
  name: string;
  hash: string;
  header: SegmentHeader;
}

/** Options of writeSegment. */
export interface WriteSegmentOptions {
  compression: Compression;
  previousHash: string | undefined;
  samples: TimeSample[];
  /**
   * The bytes before `payload` in its buffer (at least the header's length)
   * are free: an uncompressed segment's header is written there and the file
   * written and hashed as one contiguous image, without a copy.
   */
  headerRoom?: boolean | undefined;
  /** A buffer holder owned by one serial writer: compressed segments are assembled in it, reused from one segment to the next. */
  scratch?: { buf: Uint8Array | undefined } | undefined;
}

/**
 * Writes the segment [startLsn, startLsn + payload.length) durably into `dir`.
 * `payload` must already have every mtr terminator set to 1. LZ4 blocks are
 * compressed on libuv's thread pool (lz4-frame.ts); CRC-32C and SHA-256 run on
 * the calling thread (the archiver's segment writer thread).
 */
export async function writeSegment(
  dir: string,
  id: SegmentIdentity,
  startLsn: Lsn,
  payload: Uint8Array,
  opts: WriteSegmentOptions,
): Promise<WrittenSegment> {
  const img = await buildSegmentImage(id, startLsn, payload, opts);
  await writeFileDurable(dir, img.name, [img.file]);
  return { name: img.name, hash: img.hash, header: img.header };
}

/** A segment file assembled in memory: its name, bytes, decoded header and SHA-256. */
export interface SegmentImage extends WrittenSegment {
  /** The whole file; a view into `payload`'s buffer (uncompressed, with header room) or into `opts.scratch.buf`. */
  file: Uint8Array;
}

/**
 * Assembles the segment file for `payload` (compression, payload CRC-32C,
 * header, SHA-256 of the file) without writing it. The result's `file` is
 * valid while `payload` and `opts.scratch` are not reused.
 */
export async function buildSegmentImage(id: SegmentIdentity, startLsn: Lsn, payload: Uint8Array, opts: WriteSegmentOptions): Promise<SegmentImage> {
  const lz4 = opts.compression === 'lz4';
  const stored = lz4 ? await compressLz4Frame(payload, { room: HEADER_ROOM, holder: opts.scratch }) : payload;
  const img = segmentImage(id, startLsn, payload, stored, lz4 || opts.headerRoom === true, opts);
  return { ...img, hash: createHash('sha256').update(img.file).digest('hex') };
}

/** The whole file (header + stored payload) as one array: the header goes in the free bytes before `stored` when `roomBefore`. */
function segmentImage(
  id: SegmentIdentity,
  startLsn: Lsn,
  payload: Uint8Array,
  stored: Uint8Array,
  roomBefore: boolean,
  opts: WriteSegmentOptions,
): { name: string; file: Uint8Array; header: SegmentHeader } {
  const endLsn = startLsn + BigInt(payload.length);
  const head = encodeSegmentHeader({
    logFormat: id.logFormat,
    startLsn,
    endLsn,
    storedLength: stored.length,
    payloadCrc: crc32c(payload),
    compression: opts.compression,
    archiveId: id.archiveId,
    originFirstLsn: id.originFirstLsn,
    creator: id.creator,
    previousHash: opts.previousHash,
    samples: opts.samples,
  });
  let file: Uint8Array;
  if (roomBefore && stored.byteOffset >= head.length) {
    file = new Uint8Array(stored.buffer, stored.byteOffset - head.length, head.length + stored.length);
    file.set(head, 0);
  } else {
    file = new Uint8Array(head.length + stored.length);
    file.set(head, 0);
    file.set(stored, head.length);
  }
  const name = segmentFileName(startLsn, endLsn);
  return { name, file, header: decodeSegmentHeader(head, name) };
}

/** A segment file read and fully verified. */
export interface ReadSegment {
  header: SegmentHeader;
  /** The linear log bytes [startLsn, endLsn). */
  payload: Uint8Array;
  /** SHA-256 of the whole file. */
  hash: string;
}

/**
 * Reads a segment file and verifies it: header CRC, stored length,
 * decompression, payload length = end − start, payload CRC-32C. Errors name
 * the file and the offset of the failing field.
 */
export async function readSegmentFile(path: string, name = path): Promise<ReadSegment> {
  const file = new Uint8Array(await readFile(path));
  return verifySegmentBytes(file, name);
}

/** verifySegmentBytes over bytes already in memory. */
export function verifySegmentBytes(file: Uint8Array, name: string): ReadSegment {
  const header = decodeSegmentHeader(file, name);
  const stored = file.subarray(header.headerLength);
  if (stored.length !== header.storedLength) {
    throw new CorruptLogError(`segment payload is ${stored.length} bytes, header says ${header.storedLength}`, {
      file: name,
      offset: header.headerLength,
      lsn: header.startLsn,
    });
  }
  let payload: Uint8Array;
  if (header.compression === 'lz4') {
    try {
      payload = new Uint8Array(decompressFrameSync(Buffer.from(stored.buffer, stored.byteOffset, stored.length)));
    } catch (e) {
      throw new CorruptLogError(`segment payload does not decompress (${(e as Error).message})`, {
        file: name,
        offset: header.headerLength,
        lsn: header.startLsn,
      });
    }
  } else {
    payload = stored;
  }
  const want = header.endLsn - header.startLsn;
  if (BigInt(payload.length) !== want) {
    throw new CorruptLogError(`segment payload holds ${payload.length} log bytes, LSN range needs ${want}`, {
      file: name,
      offset: header.headerLength,
      lsn: header.startLsn,
    });
  }
  const crc = crc32c(payload);
  if (crc !== header.payloadCrc) {
    throw new ChecksumMismatchError('segment payload checksum mismatch', header.payloadCrc, crc, {
      file: name,
      offset: header.headerLength,
      lsn: header.startLsn,
    });
  }
  const hash = createHash('sha256').update(file).digest('hex');
  return { header, payload, hash };
}

/** Reads only the header of a segment file (cheap listing). */
export async function readSegmentHeader(dir: string, name: string): Promise<SegmentHeader> {
  const fh = await open(join(dir, name), 'r');
  try {
    const first = new Uint8Array(0x88 + 4);
    const { bytesRead } = await fh.read(first, 0, first.length, 0);
    const n = bytesRead >= 0x30 ? new DataView(first.buffer).getUint16(0x2e) : 0;
    const all = new Uint8Array(0x88 + 16 * n + 4);
    const r = await fh.read(all, 0, all.length, 0);
    return decodeSegmentHeader(all.subarray(0, r.bytesRead), name);
  } finally {
    await fh.close();
  }
}
