import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptLogError, formatLsn, InputError, type Lsn, parseLsn } from '@ibarchive/parser';
import { writeFileDurable } from './durable.js';
import { gapFileName } from './segment-format.js';

/**
 * An archive directory holds only immutable files, so its state is derived
 * from its listing and survives a crash at any point:
 *
 *   archive.json                              identity, written once at the first run
 *   seg-<start>-<end>.ibseg                   segments (segment-format.ts), LSNs as 16 hex digits
 *   gap-<from>-<to>.json                      log lost to an overrun, [from, to)
 *   status.json                               progress snapshot for humans; never read for correctness
 *   .tmp-*                                    unfinished writes; ignored (a crash may leave them)
 */
export const IDENTITY_FILE = 'archive.json';
export const STATUS_FILE = 'status.json';

/** Identity of an archive: which server log history it follows. */
export interface ArchiveIdentity {
  /** 32 hex digits, random, fixed at the first run. */
  archiveId: string;
  /** ISO time of the first run. */
  createdAt: string;
  /** first_lsn and creator of the server log at the first run. */
  originFirstLsn: Lsn;
  creator: string;
  logFormat: number;
  /** The first LSN ever archived: the checkpoint LSN at the first run (or the backup's checkpoint). */
  startLsn: Lsn;
}

/** A recorded gap: the log in [from, to) was overwritten before it was archived. */
export interface GapRecord {
  from: Lsn;
  to: Lsn;
  detectedAt: string;
  reason: string;
  file: string;
}

/** Writes archive.json (durably, once). */
export async function writeIdentity(dir: string, id: ArchiveIdentity): Promise<void> {
  const json = {
    format: 'ibarchive-archive',
    version: 1,
    archiveId: id.archiveId,
    createdAt: id.createdAt,
    originFirstLsn: formatLsn(id.originFirstLsn),
    creator: id.creator,
    logFormat: id.logFormat,
    startLsn: formatLsn(id.startLsn),
  };
  await writeFileDurable(dir, IDENTITY_FILE, [new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n')]);
}

/** Reads archive.json; undefined if the directory has none (a new archive). */
export async function readIdentity(dir: string): Promise<ArchiveIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, IDENTITY_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const file = join(dir, IDENTITY_FILE);
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new CorruptLogError('archive identity is not valid JSON', { file });
  }
  if (j['format'] !== 'ibarchive-archive' || j['version'] !== 1) throw new InputError(`not an ibarchive archive identity: ${file}`);
  const lsn = (k: string) => {
    const v = typeof j[k] === 'string' ? parseLsn(j[k] as string) : undefined;
    if (v === undefined) throw new CorruptLogError(`archive identity field ${k} is not an LSN`, { file });
    return v;
  };
  return {
    archiveId: String(j['archiveId']),
    createdAt: String(j['createdAt']),
    originFirstLsn: lsn('originFirstLsn'),
    creator: String(j['creator']),
    logFormat: Number(j['logFormat']),
    startLsn: lsn('startLsn'),
  };
}

/** Records a gap durably as its own file. */
export async function writeGap(dir: string, from: Lsn, to: Lsn, reason: string, now = new Date()): Promise<GapRecord> {
  const file = gapFileName(from, to);
  const json = { from: formatLsn(from), to: formatLsn(to), bytes: formatLsn(to - from), detectedAt: now.toISOString(), reason };
  await writeFileDurable(dir, file, [new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n')]);
  return { from, to, detectedAt: json.detectedAt, reason, file };
}

/** Reads a gap file's details (its range comes from its name). */
export async function readGap(dir: string, file: string, from: Lsn, to: Lsn): Promise<GapRecord> {
  let j: Record<string, unknown> = {};
  try {
    j = JSON.parse(await readFile(join(dir, file), 'utf8')) as Record<string, unknown>;
  } catch {
    throw new CorruptLogError('gap record is not valid JSON', { file: join(dir, file) });
  }
  return { from, to, detectedAt: String(j['detectedAt'] ?? ''), reason: String(j['reason'] ?? ''), file };
}

/** Directory listing (throws InputError for a missing directory). */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`archive directory does not exist: ${dir}`);
    if (code === 'ENOTDIR') throw new InputError(`not a directory: ${dir}`);
    throw e;
  }
}
