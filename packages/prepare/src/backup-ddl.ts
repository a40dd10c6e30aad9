import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PRIVATE_FILE_MODE, removeIfExists, syncDir } from './state.js';

/**
 * mariadb-backup records DDL that ran during `--backup` as marker files next to
 * the tablespaces (redo-format.md 7.1 step 6, 7.2 step 1):
 *
 * - `db/t.new`: a late copy of `db/t.ibd` (created or rebuilt after the
 *   checkpoint); it replaces `db/t.ibd`.
 * - `db/t.ren`: `db/t.ibd` was renamed; the file holds the new `db/name`.
 * - `db/t.del`: `db/t.ibd` was dropped.
 *
 * `--prepare` handles them before applying the log: deletes, then renames, then
 * `.new` files. Paths here are relative to the target directory, `/`-separated.
 */
export type BackupDdlOp =
  | { readonly kind: 'delete'; readonly marker: string; readonly path: string }
  | { readonly kind: 'rename'; readonly marker: string; readonly from: string; readonly to: string }
  | { readonly kind: 'replace'; readonly from: string; readonly to: string };

const TEMP_SUFFIX = '.ibarchive-ren';
/** Present while .ren renames are between their two phases. */
const RENAME_PHASE2 = 'ibarchive_ren_phase2';

async function walk(dir: string, root: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, root, out);
    else if (e.isFile() && !e.name.startsWith('ibarchive_')) out.push(relative(root, p).split(sep).join('/'));
  }
}

/** Every regular file under `dir`, relative and `/`-separated, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  await walk(dir, dir, out);
  return out.sort();
}

function ibdName(name: string): string {
  const n = name.trim().replace(/^\.\//, '');
  return n.endsWith('.ibd') ? n : n + '.ibd';
}

/** Reads the marker files of `dir` into the ordered list of operations (nothing changed). */
export async function planBackupDdl(dir: string, files?: string[]): Promise<BackupDdlOp[]> {
  const all = files ?? (await listFiles(dir));
  const ops: BackupDdlOp[] = [];
  for (const f of all) if (f.endsWith('.del')) ops.push({ kind: 'delete', marker: f, path: f.slice(0, -4) + '.ibd' });
  for (const f of all) {
    if (!f.endsWith('.ren')) continue;
    const target = (await readFile(join(dir, f), 'utf8')).replace(/\0.*$/s, '');
    ops.push({ kind: 'rename', marker: f, from: f.slice(0, -4) + '.ibd', to: ibdName(target) });
  }
  for (const f of all) if (f.endsWith('.new')) ops.push({ kind: 'replace', from: f, to: f.slice(0, -4) + '.ibd' });
  return ops;
}

/**
 * The file list as it will be after `ops`: maps each final path to the path
 * that currently holds its bytes.
 */
export function layoutAfterDdl(files: string[], ops: BackupDdlOp[]): Map<string, string> {
  const layout = new Map<string, string>();
  for (const f of files) if (f.endsWith('.ibd')) layout.set(f, f);
  for (const op of ops) {
    if (op.kind === 'delete') layout.delete(op.path);
  }
  const moved: Array<[string, string]> = [];
  for (const op of ops) {
    if (op.kind !== 'rename') continue;
    const src = layout.get(op.from);
    if (src === undefined) continue;
    layout.delete(op.from);
    moved.push([op.to, src]);
  }
  for (const [to, src] of moved) layout.set(to, src);
  for (const op of ops) if (op.kind === 'replace') layout.set(op.to, op.from);
  return layout;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Performs `ops` on `dir`. Idempotent: a run interrupted at any point and
 * repeated finishes the job (renames go through temporary names so that
 * swaps and chains do not clobber each other; markers are removed last).
 */
export async function applyBackupDdl(dir: string, ops: BackupDdlOp[]): Promise<void> {
  for (const op of ops) if (op.kind === 'delete') await removeIfExists(join(dir, op.path));
  const renames = ops.filter((o): o is Extract<BackupDdlOp, { kind: 'rename' }> => o.kind === 'rename');
  // Phase 1 (all sources to temporary names) runs once: its end is marked durably.
  const phase2 = join(dir, RENAME_PHASE2);
  if (renames.length && !(await exists(phase2))) {
    for (const op of renames) {
      if (await exists(join(dir, op.from))) await rename(join(dir, op.from), join(dir, op.from + TEMP_SUFFIX));
    }
    await writeFile(phase2, '', { mode: PRIVATE_FILE_MODE });
    await syncDir(dir);
  }
  for (const op of renames) {
    if (await exists(join(dir, op.from + TEMP_SUFFIX))) await rename(join(dir, op.from + TEMP_SUFFIX), join(dir, op.to));
  }
  for (const op of ops) if (op.kind === 'replace' && (await exists(join(dir, op.from)))) await rename(join(dir, op.from), join(dir, op.to));
  for (const op of ops) if (op.kind !== 'replace') await removeIfExists(join(dir, op.marker));
  await removeIfExists(phase2);
}
