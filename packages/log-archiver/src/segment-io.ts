import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compressFrame, compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { ChecksumMismatchError, CorruptLogError, crc32c, type Lsn } from '@ibarchive/parser';
import { writeFileDurable, writeFileDurableSync } from './durable.js';
import {
  type Compression,
  decodeSegmentHeader,
  encodeSegmentHeader,
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
}

/**
 * Writes the segment [startLsn, startLsn + payload.length) durably into `dir`
 * (compression on libuv's pool; CRC-32C and SHA-256 on this thread).
 * `payload` must already have every mtr terminator set to 1.
 */
export async function writeSegment(
  dir: string,
  id: SegmentIdentity,
  startLsn: Lsn,
  payload: Uint8Array,
  opts: WriteSegmentOptions,
): Promise<WrittenSegment> {
  const stored = opts.compression === 'lz4' ? new Uint8Array(await compressFrame(payload)) : payload;
  const img = segmentImage(id, startLsn, payload, stored, opts);
  await writeFileDurable(dir, img.name, [img.file]);
  return { name: img.name, hash: createHash('sha256').update(img.file).digest('hex'), header: img.header };
}

/** writeSegment with blocking calls (lz4 included), for the segment writer thread. */
export function writeSegmentSync(dir: string, id: SegmentIdentity, startLsn: Lsn, payload: Uint8Array, opts: WriteSegmentOptions): WrittenSegment {
  const stored =
    opts.compression === 'lz4' ? new Uint8Array(compressFrameSync(Buffer.from(payload.buffer, payload.byteOffset, payload.length))) : payload;
  const img = segmentImage(id, startLsn, payload, stored, opts);
  writeFileDurableSync(dir, img.name, [img.file]);
  return { name: img.name, hash: createHash('sha256').update(img.file).digest('hex'), header: img.header };
}

/** The whole file (header + stored payload) as one array: in the payload's header room when it is stored as is. */
function segmentImage(
  id: SegmentIdentity,
  startLsn: Lsn,
  payload: Uint8Array,
  stored: Uint8Array,
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
  if (stored === payload && opts.headerRoom === true && payload.byteOffset >= head.length) {
    file = new Uint8Array(payload.buffer, payload.byteOffset - head.length, head.length + payload.length);
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
