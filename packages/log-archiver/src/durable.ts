import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Prefix of in-progress files; readers ignore them, and a crash may leave them behind. */
export const TEMP_PREFIX = '.tmp-';

/** Creates `dir` (and parents) owner-only (0700) if missing. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** fsyncs a directory so that a rename or unlink in it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `name` in `dir` so that after a crash it either does not exist or
 * holds all of `parts`: write a temp file (mode 0600), fsync it, rename it
 * into place, fsync the directory.
 */
export async function writeFileDurable(dir: string, name: string, parts: Uint8Array[]): Promise<void> {
  await publishDurable(await writeTempDurable(dir, name, parts), dir, name);
}

/**
 * First half of writeFileDurable: writes `parts` to a new temp file for
 * `name` in `dir` (mode 0600) and fsyncs it; returns its path. Removes it on
 * failure. Readers ignore it until publishDurable renames it.
 */
export async function writeTempDurable(dir: string, name: string, parts: Uint8Array[]): Promise<string> {
  const tmp = join(dir, `${TEMP_PREFIX}${name}-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    for (const p of parts) {
      let done = 0;
      while (done < p.length) {
        const { bytesWritten } = await fh.write(p, done, p.length - done);
        done += bytesWritten;
      }
    }
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  return tmp;
}

/** Second half of writeFileDurable: renames the durable temp file `tmp` to `name` in `dir` and fsyncs the directory. */
export async function publishDurable(tmp: string, dir: string, name: string): Promise<void> {
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}
