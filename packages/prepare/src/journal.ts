import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c, IbarchiveError } from '@ibarchive/parser';
import { PRIVATE_FILE_MODE } from './state.js';

/**
 * Doublewrite-style journal of the pages of one flush group, so that a prepare
 * killed while writing pages in place never leaves a torn page:
 *
 *   "IBARJNL1" | u32 entry count | u32 page size |
 *   entries: u16 path length | path (UTF-8, relative) | u32 page number | page bytes |
 *   u32 CRC-32C of everything before it | "IBAREND1" | zeros to a multiple of 4096 bytes
 *
 * Protocol: write and fsync the journal, write the pages in place and fsync the
 * data files, then void the journal. Two journal files (JOURNAL_FILES) let a
 * group's journal be written while the previous group goes in place. On
 * start-up every complete journal (trailer and CRC valid) is replayed; an
 * incomplete one is discarded: its pages were never written in place.
 *
 * The journal is written with O_DIRECT where the file system allows it, through
 * a staging buffer whose address is page-aligned (a WebAssembly memory: nothing
 * else in JavaScript controls alignment): fresh page cache costs up to 2 ms per
 * MB on the VM measured; the bench's write phase (6428 pages, 5300 of them
 * journaled) took ~0.355 s buffered against ~0.30 s direct (A/B medians of 6).
 */
export const JOURNAL_FILE = 'ibarchive_prepare.journal';
/** Two journal files: consecutive flush groups alternate between them (see PageStore.startFlush). */
export const JOURNAL_FILES: readonly string[] = [JOURNAL_FILE, `${JOURNAL_FILE}.2`];
/** O_DIRECT needs offsets, lengths and addresses aligned to the device's block size; 4096 suits all. */
const ALIGN = 4096;
/** Bytes staged per write (twice this staged in all). */
const STAGE_BYTES = 2 << 20;
/** The one WebAssembly API used here (the compiler's libs here have no WebAssembly types). */
declare const WebAssembly: { Memory: new (d: { initial: number }) => { readonly buffer: ArrayBuffer } };
const MAGIC = new TextEncoder().encode('IBARJNL1');
const END = new TextEncoder().encode('IBAREND1');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A page image bound for `path` at `pageNo`. */
export interface JournalEntry {
  readonly path: string;
  readonly pageNo: number;
  readonly page: Uint8Array;
}

/** Serialises a flush group. */
export function encodeJournal(entries: readonly JournalEntry[], pageSize: number): Uint8Array {
  const paths = entries.map((e) => encoder.encode(e.path));
  let size = 16 + 12;
  for (let i = 0; i < entries.length; i++) size += 2 + paths[i]!.length + 4 + pageSize;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(8, entries.length);
  dv.setUint32(12, pageSize);
  let o = 16;
  for (let i = 0; i < entries.length; i++) {
    const p = paths[i]!;
    dv.setUint16(o, p.length);
    out.set(p, o + 2);
    o += 2 + p.length;
    dv.setUint32(o, entries[i]!.pageNo);
    out.set(entries[i]!.page, o + 4);
    o += 4 + pageSize;
  }
  dv.setUint32(o, crc32c(out.subarray(0, o)));
  out.set(END, o + 4);
  return out;
}

/**
 * The same bytes as encodeJournal, as a list of parts that reference the page
 * images instead of copying them (written with one writev).
 */
export function journalParts(entries: readonly JournalEntry[], pageSize: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(16);
  head.set(MAGIC, 0);
  const hv = new DataView(head.buffer);
  hv.setUint32(8, entries.length);
  hv.setUint32(12, pageSize);
  parts.push(head);
  let crc = crc32c(head);
  for (const e of entries) {
    const p = encoder.encode(e.path);
    const h = new Uint8Array(2 + p.length + 4);
    const dv = new DataView(h.buffer);
    dv.setUint16(0, p.length);
    h.set(p, 2);
    dv.setUint32(2 + p.length, e.pageNo);
    const page = e.page.subarray(0, pageSize);
    crc = crc32c(page, crc32c(h, crc));
    parts.push(h, page);
  }
  const tail = new Uint8Array(12);
  new DataView(tail.buffer).setUint32(0, crc);
  tail.set(END, 4);
  parts.push(tail);
  return parts;
}

/** Decodes a journal, or undefined when it is incomplete or damaged. */
export function decodeJournal(bytes: Uint8Array): JournalEntry[] | undefined {
  if (bytes.length < 28) return undefined;
  for (let i = 0; i < 8; i++) if (bytes[i] !== MAGIC[i]) return undefined;
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
  // What follows the trailer is padding, or an older, longer group's bytes (the file is overwritten, not truncated).
  if (o + 12 > bytes.length) return undefined;
  if (dv.getUint32(o) !== crc32c(bytes.subarray(0, o))) return undefined;
  for (let i = 0; i < 8; i++) if (bytes[o + 4 + i] !== END[i]) return undefined;
  return entries;
}

/** A journal file of a target directory. */
export class Journal {
  private fh: FileHandle | undefined;
  private stage: Uint8Array | undefined;
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
        await this.put(parts);
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

  private async put(parts: readonly Uint8Array[]): Promise<void> {
    const path = join(this.dir, this.file);
    // Overwritten in place, never truncated: with O_DIRECT, blocks allocated anew cost an ext4
    // metadata commit at each fdatasync, which took the gain away.
    this.fh ??= await open(path, constants.O_WRONLY | constants.O_CREAT | (this.direct ? constants.O_DIRECT : 0), PRIVATE_FILE_MODE);
    // A WebAssembly memory starts on a page boundary; 64 KiB pages. Two halves: one is filled
    // while the other is written.
    this.stage ??= new Uint8Array(new WebAssembly.Memory({ initial: (2 * STAGE_BYTES) >>> 16 }).buffer);
    const fh = this.fh;
    const halves = [this.stage.subarray(0, STAGE_BYTES), this.stage.subarray(STAGE_BYTES)];
    let half = 0;
    let used = 0;
    let pos = 0;
    let writing: Promise<void> = Promise.resolve();
    const writeOut = async (buf: Uint8Array, n: number, at: number) => {
      let done = 0;
      while (done < n) {
        const { bytesWritten } = await fh.write(buf, done, n - done, at + done);
        if (bytesWritten <= 0) throw new IbarchiveError('internal', 'the page journal took no bytes', { file: path, offset: at + done });
        done += bytesWritten;
      }
    };
    const send = async (n: number) => {
      await writing;
      writing = writeOut(halves[half]!, n, pos);
      // Caught here, thrown by the next await of `writing`.
      writing.catch(() => {});
      pos += n;
      half ^= 1;
      used = 0;
    };
    for (const part of parts) {
      for (let at = 0; at < part.length; ) {
        const n = Math.min(part.length - at, STAGE_BYTES - used);
        halves[half]!.set(part.subarray(at, at + n), used);
        used += n;
        at += n;
        if (used === STAGE_BYTES) await send(used);
      }
    }
    const padded = Math.ceil(used / ALIGN) * ALIGN;
    halves[half]!.fill(0, used, padded);
    if (padded > 0) await send(padded);
    await writing;
    await fh.datasync();
  }

  /**
   * Voids the journal after the group's pages are durable in place (zeros
   * over its magic; not synced: replaying a group already in place changes
   * nothing).
   */
  async clear(): Promise<void> {
    if (!this.fh || !this.stage) return;
    // Both halves' writes are complete here (put() awaited them).
    this.stage.fill(0, 0, ALIGN);
    await this.fh.write(this.stage, 0, ALIGN, 0);
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
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
