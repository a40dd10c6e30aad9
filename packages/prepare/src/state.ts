import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@ibarchive/parser';

/** Our own record, in the target directory, of how far the log was applied. */
export const STATE_FILE = 'ibarchive_prepare.json';

/**
 * `in-progress`: a prepare from `startLsn` towards `targetLsn` began changing
 * files; pages may carry LSNs up to `targetLsn`. `done`: the directory holds
 * exactly the mtrs that end at or before `reachedLsn`, and `ib_logfile0` is the
 * empty log we wrote for it (`logBytes` = its size).
 */
export interface PrepareState {
  readonly version: 1;
  readonly status: 'in-progress' | 'done';
  /** LSN the first prepare of this directory started at (the base's checkpoint). */
  readonly baseStartLsn: string;
  /** LSN this run started from. */
  readonly startLsn: string;
  /** in-progress: the LSN this run will reach; done: equal to reachedLsn. */
  readonly targetLsn: string;
  /** done: the LSN reached (end of the last applied mtr). */
  readonly reachedLsn: string;
  readonly updated: string;
}

/** Reads the state file, or undefined when the directory was never prepared by us. */
export async function readState(dir: string): Promise<PrepareState | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let s: PrepareState;
  try {
    s = JSON.parse(text) as PrepareState;
  } catch {
    throw new InputError(`unreadable prepare state file ${join(dir, STATE_FILE)}`);
  }
  if (s.version !== 1 || (s.status !== 'in-progress' && s.status !== 'done') || !/^\d+$/.test(s.reachedLsn ?? '')) {
    throw new InputError(`unrecognised prepare state file ${join(dir, STATE_FILE)}`);
  }
  return s;
}

/** Mode of every file prepare creates: a restored directory holds row data. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of every directory prepare creates. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Writes `bytes` to `dir/name` atomically and owner-only: temp file (0600),
 * fsync, rename, fsync of the directory.
 */
export async function writeFileAtomic(dir: string, name: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  const fh = await open(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    // A temp file left by a crash keeps its old mode: set it explicitly.
    await fh.chmod(PRIVATE_FILE_MODE);
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

/** fsyncs a directory so that renames and creations in it are durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Atomically replaces the state file. */
export async function writeState(dir: string, state: Omit<PrepareState, 'version' | 'updated'>): Promise<void> {
  const full: PrepareState = { version: 1, ...state, updated: new Date().toISOString() };
  await writeFileAtomic(dir, STATE_FILE, JSON.stringify(full, null, 2) + '\n');
}

/** Removes a leftover temp file of writeFileAtomic. */
export async function removeIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
