import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@ibarchive/parser';

/**
 * Doublewrite-style journal of the pages of one flush group, so that a prepare
 * killed while writing pages in place never leaves a torn page:
 *
 *   "IBARJNL1" | u32 entry count | u32 page size |
 *   entries: u16 path length | path (UTF-8, relative) | u32 page number | page bytes |
 *   u32 CRC-32C of everything before it | "IBAREND1"
 *
 * Protocol: write and fsync the journal, write the pages in place and fsync the
 * data files, then empty the journal. On start-up a complete journal (trailer
 * and CRC valid) is replayed; an incomplete one is discarded: its pages were
 * never written in place.
 */
export const JOURNAL_FILE = 'ibarchive_prepare.journal';
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
  if (o + 12 !== bytes.length) return undefined;
  if (dv.getUint32(o) !== crc32c(bytes.subarray(0, o))) return undefined;
  for (let i = 0; i < 8; i++) if (bytes[o + 4 + i] !== END[i]) return undefined;
  return entries;
}

/** The journal file of a target directory. */
export class Journal {
  private fh: FileHandle | undefined;
  constructor(readonly dir: string) {}

  /** Writes and fsyncs a flush group (replacing any previous content). */
  async write(entries: readonly JournalEntry[], pageSize: number): Promise<void> {
    const bytes = encodeJournal(entries, pageSize);
    this.fh ??= await open(join(this.dir, JOURNAL_FILE), 'w');
    await this.fh.truncate(0);
    await this.fh.write(bytes, 0, bytes.length, 0);
    await this.fh.sync();
  }

  /** Empties the journal after the group's pages are durable in place. */
  async clear(): Promise<void> {
    if (this.fh) await this.fh.truncate(0);
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }
}

/** Reads a leftover journal: its entries when complete, else undefined. */
export async function readJournal(dir: string): Promise<JournalEntry[] | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(join(dir, JOURNAL_FILE), 'r');
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
