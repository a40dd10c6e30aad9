import { cp, readdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { openLogPath, type OpenedLog } from '@ibarchive/log-archiver';
import { inspectBase, prepare, type PrepareOptions, type PrepareResult } from '../src/index.js';

/** Copies a directory tree (a pristine base must never be prepared in place by a test). */
export async function copyDir(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
}

/** Opens the log sources the CLI would: the directory's own logs, then `extra` paths (archive, log copies). */
export async function openSources(dir: string, extra: string[]): Promise<OpenedLog[]> {
  const base = await inspectBase(dir);
  const out: OpenedLog[] = [];
  for (const n of base.ownLogs) out.push(await openLogPath(join(dir, n)));
  for (const p of extra) out.push(await openLogPath(p));
  return out;
}

/** Runs prepare on `dir` with its own logs plus `extra`, closing the sources afterwards. */
export async function prepareDir(dir: string, extra: string[], opts: Partial<PrepareOptions> = {}): Promise<PrepareResult> {
  const opened = await openSources(dir, extra);
  try {
    return await prepare({ targetDir: dir, sources: opened.map((o) => o.source), ...opts });
  } finally {
    for (const o of opened) await o.close();
  }
}

/** SHA-256 of every file under `dir` by relative path (to prove nothing changed). */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p, r);
      else out[r] = createHash('sha256').update(await readFile(p)).digest('hex');
    }
  };
  await walk(dir, '');
  return out;
}
