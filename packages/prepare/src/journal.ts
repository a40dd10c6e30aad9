import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c, IbarchiveError } from '@ibarchive/parser';
import { alignedBuffer, isAligned } from './aligned-memory.js';
import { PRIVATE_FILE_MODE } from './state.js';

/**
 * Doublewrite-style journal of the pages of one flush group, so that a prepare
 * killed while writing pages in place never leaves a torn page:
 *
 *   header: "IBARJNL2" | u32 entry count | u32 page size | u32 header bytes |
 *           entries: u16 path length | path (UTF-8, relative) | u32 page number |
 *           zeros to `header bytes` (a multiple of 4096)
 *   pages:  the entries' page images, in entry order
 *   trailer: u32 CRC-32C of header and pages | "IBAREND2" | zeros to 4096 bytes
 *
 * Protocol: write and fsync the journal, write the pages in place and fsync the
 * data files, then void the journal. Two journal files (JOURNAL_FILES) let a
 * group's journal be written while the previous group goes in place. On
 * start-up every complete journal (trailer and CRC valid) is replayed; an
 * incomplete one is discarded: its pages were never written in place.
 *
 * The journal is written with O_DIRECT where the file system allows it. Every
 * part starts on a 4096-byte boundary of the file, so the page images go out
 * straight from the page cache's aligned memory (aligned-memory.ts) in one
 * writev, not copied: on the bench (5486 of 6428 pages journaled) the copy
 * into a staging buffer took ~50 ms of the write phase. Fresh page cache costs
 * up to 2 ms per MB on the VM measured, so buffered writes were slower still.
 * Version 1 (an entry's header before each page, written through a staging
 * buffer) is still read, for a journal left by an older ibarchive.
 */
export const JOURNAL_FILE = 'ibarchive_prepare.journal';
/** Two journal files: consecutive flush groups alternate between them (see PageStore.startFlush). */
export const JOURNAL_FILES: readonly string[] = [JOURNAL_FILE, `${JOURNAL_FILE}.2`];
/** O_DIRECT needs offsets, lengths and addresses aligned to the device's block size; 4096 suits all. */
const ALIGN = 4096;
/** Buffers per writev (IOV_MAX on Linux is 1024), and writevs in flight at once. */
const MAX_IOV = 256;
const WRITES_IN_FLIGHT = 4;
const MAGIC = new TextEncoder().encode('IBARJNL2');
const END = new TextEncoder().encode('IBAREND2');
const MAGIC_V1 = new TextEncoder().encode('IBARJNL1');
const END_V1 = new TextEncoder().encode('IBAREND1');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A page image bound for `path` at `pageNo`. */
export interface JournalEntry {
  readonly path: string;
  readonly pageNo: number;
  readonly page: Uint8Array;
}

/**
 * A flush group's journal as parts to write one after the other: the header,
 * the page images themselves (not copied) and the trailer, each a multiple of
 * 4096 bytes long. The page size must be one too (InnoDB's are 4-64 KiB).
 */
export function journalParts(entries: readonly JournalEntry[], pageSize: number): Uint8Array[] {
  if (pageSize % ALIGN !== 0) throw new IbarchiveError('internal', `journal: page size ${pageSize} is not a multiple of ${ALIGN}`);
  const paths = entries.map((e) => encoder.encode(e.path));
  let size = 20;
  for (const p of paths) size += 2 + p.length + 4;
  const headerBytes = Math.ceil(size / ALIGN) * ALIGN;
  const head = new Uint8Array(headerBytes);
  const dv = new DataView(head.buffer);
  head.set(MAGIC, 0);
  dv.setUint32(8, entries.length);
  dv.setUint32(12, pageSize);
  dv.setUint32(16, headerBytes);
  let o = 20;
  for (let i = 0; i < entries.length; i++) {
    const p = paths[i]!;
    dv.setUint16(o, p.length);
    head.set(p, o + 2);
    dv.setUint32(o + 2 + p.length, entries[i]!.pageNo);
    o += 2 + p.length + 4;
  }
  const parts: Uint8Array[] = [head];
  let crc = crc32c(head);
  for (const e of entries) {
    const page = e.page.subarray(0, pageSize);
    crc = crc32c(page, crc);
    parts.push(page);
  }
  const tail = new Uint8Array(ALIGN);
  new DataView(tail.buffer).setUint32(0, crc);
  tail.set(END, 4);
  parts.push(tail);
  return parts;
}

/** Decodes a journal (version 2, or 1), or undefined when it is incomplete or damaged. */
export function decodeJournal(bytes: Uint8Array): JournalEntry[] | undefined {
  if (bytes.length < 28) return undefined;
  if (startsWith(bytes, 0, MAGIC_V1)) return decodeV1(bytes);
  if (!startsWith(bytes, 0, MAGIC)) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(8);
  const ps = dv.getUint32(12);
  const headerBytes = dv.getUint32(16);
  // What follows the trailer is an older, longer group's bytes (the file is overwritten, not truncated).
  const end = headerBytes + n * ps;
  if (headerBytes < 20 || end + 12 > bytes.length) return undefined;
  if (dv.getUint32(end) !== crc32c(bytes.subarray(0, end)) || !startsWith(bytes, end + 4, END)) return undefined;
  const entries: JournalEntry[] = [];
  let o = 20;
  for (let i = 0; i < n; i++) {
    const len = dv.getUint16(o);
    if (o + 2 + len + 4 > headerBytes) return undefined;
    const path = decoder.decode(bytes.subarray(o + 2, o + 2 + len));
    const pageNo = dv.getUint32(o + 2 + len);
    const at = headerBytes + i * ps;
    entries.push({ path, pageNo, page: bytes.subarray(at, at + ps) });
    o += 2 + len + 4;
  }
  return entries;
}

/** Version 1: "IBARJNL1" | count | page size | (u16 path length, path, u32 page number, page)... | CRC | "IBAREND1". */
function decodeV1(bytes: Uint8Array): JournalEntry[] | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(8);
  const ps = dv.getUint32(12);
  const entries: JournalEntry[] = [];
  let o = 16;
  for (let i = 0; i < n; i++) {
    if (o + 2 > bytes.length) return undefined;
    const len = dv.getUint16(o);
    if (o + 2 + len + 4 + ps > bytes.length) return undefined;
    const path = decoder.decode(bytes.subarray(o + 2, o + 2 + len));
    o += 2 + len;
    entries.push({ path, pageNo: dv.getUint32(o), page: bytes.subarray(o + 4, o + 4 + ps) });
    o += 4 + ps;
  }
  if (o + 12 > bytes.length) return undefined;
  if (dv.getUint32(o) !== crc32c(bytes.subarray(0, o)) || !startsWith(bytes, o + 4, END_V1)) return undefined;
  return entries;
}

function startsWith(bytes: Uint8Array, at: number, magic: Uint8Array): boolean {
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

/** A journal file of a target directory. */
export class Journal {
  private fh: FileHandle | undefined;
  /** Aligned room for the parts that are not in aligned memory (O_DIRECT), reused from group to group. */
  private bounce: Uint8Array | undefined;
  /** `direct`: try O_DIRECT first (false: buffered writes, as after EINVAL). */
  constructor(
    readonly dir: string,
    private direct = true,
    readonly file = JOURNAL_FILE,
  ) {}

  /** Writes and fsyncs a flush group (replacing any previous content). */
  async write(entries: readonly JournalEntry[], pageSize: number): Promise<void> {
    await this.writeParts(journalParts(entries, pageSize));
  }

  /** The same, from journalParts() computed beforehand. */
  async writeParts(parts: readonly Uint8Array[]): Promise<void> {
    if (this.direct) {
      try {
        await this.put(this.alignedParts(parts));
        return;
      } catch (e) {
        // No O_DIRECT here (tmpfs, some network file systems): the same bytes, buffered.
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
        await this.close();
        this.direct = false;
      }
    }
    await this.put(parts);
  }

  /** The parts, those outside aligned memory (the header, the trailer, a page read back from the spill file) copied into `bounce`. */
  private alignedParts(parts: readonly Uint8Array[]): Uint8Array[] {
    let need = 0;
    for (const p of parts) if (!isAligned(p)) need += p.length;
    if (need > (this.bounce?.length ?? 0)) this.bounce = new Uint8Array(alignedBuffer(need, false));
    const out: Uint8Array[] = [];
    let at = 0;
    for (const p of parts) {
      if (isAligned(p)) {
        out.push(p);
        continue;
      }
      const copy = this.bounce!.subarray(at, at + p.length);
      copy.set(p);
      out.push(copy);
      at += p.length;
    }
    return out;
  }

  private async put(parts: readonly Uint8Array[]): Promise<void> {
    const path = join(this.dir, this.file);
    // Overwritten in place, never truncated: with O_DIRECT, blocks allocated anew cost an ext4
    // metadata commit at each fdatasync, which took the gain away.
    this.fh ??= await open(path, constants.O_WRONLY | constants.O_CREAT | (this.direct ? constants.O_DIRECT : 0), PRIVATE_FILE_MODE);
    const fh = this.fh;
    const writes: Promise<void>[] = [];
    let pos = 0;
    for (let i = 0; i < parts.length; i += MAX_IOV) {
      const batch = parts.slice(i, i + MAX_IOV);
      const at = pos;
      for (const p of batch) pos += p.length;
      writes.push(writevAll(fh, batch, at, path));
      if (writes.length >= WRITES_IN_FLIGHT) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    await fh.datasync();
  }

  /**
   * Voids the journal after the group's pages are durable in place (zeros
   * over its magic; not synced: replaying a group already in place changes
   * nothing).
   */
  async clear(): Promise<void> {
    if (!this.fh) return;
    // The bounce buffer is free: put() awaited its writes.
    if ((this.bounce?.length ?? 0) < ALIGN) this.bounce = new Uint8Array(alignedBuffer(ALIGN, false));
    const zeros = this.bounce!.subarray(0, ALIGN).fill(0);
    await this.fh.write(zeros, 0, ALIGN, 0);
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }
}

/** Writes `parts` contiguously at `pos` with one writev; a short write (rare) goes on from where it stopped. */
async function writevAll(fh: FileHandle, parts: Uint8Array[], pos: number, path: string): Promise<void> {
  let total = 0;
  for (const p of parts) total += p.length;
  let done = (await fh.writev(parts, pos)).bytesWritten;
  while (done < total) {
    // The part the short write stopped in, from there on (O_DIRECT may refuse a misaligned rest: EINVAL, then buffered).
    let at = 0;
    let i = 0;
    while (at + parts[i]!.length <= done) at += parts[i++]!.length;
    const rest = [parts[i]!.subarray(done - at), ...parts.slice(i + 1)];
    const { bytesWritten } = await fh.writev(rest, pos + done);
    if (bytesWritten <= 0) throw new IbarchiveError('internal', 'the page journal took no bytes', { file: path, offset: pos + done });
    done += bytesWritten;
  }
}

/**
 * Reads the leftover journals: the entries of each complete one (two groups in
 * flight never hold the same page; a group already in place is replayed
 * harmlessly), undefined when none is complete.
 */
export async function readJournal(dir: string): Promise<JournalEntry[] | undefined> {
  let all: JournalEntry[] | undefined;
  for (const file of JOURNAL_FILES) {
    const entries = await readJournalFile(join(dir, file));
    if (entries) all = [...(all ?? []), ...entries];
  }
  return all;
}

async function readJournalFile(path: string): Promise<JournalEntry[] | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const bytes = await fh.readFile();
    return decodeJournal(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } finally {
    await fh.close();
  }
}
