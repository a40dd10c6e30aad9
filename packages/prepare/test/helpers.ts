import { copyFile, cp, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startServerOn, type RestorePoint, type Server } from '@ibarchive/harness';
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

/**
 * Runs prepare on `dir` with its own logs plus `extra`, closing the sources
 * afterwards; with the look-ahead over the same paths, as the CLI does,
 * read first (lookAheadFirst), unless `opts` says otherwise.
 */
export async function prepareDir(dir: string, extra: string[], opts: Partial<PrepareOptions> = {}): Promise<PrepareResult> {
  const opened = await openSources(dir, extra);
  const paths = [...(await inspectBase(dir)).ownLogs.map((n) => join(dir, n)), ...extra];
  const lookAhead = opened.map((o, i) => ({ path: paths[i]!, endLsn: o.endLsn }));
  try {
    return await prepare({ targetDir: dir, sources: opened.map((o) => o.source), lookAhead, lookAheadFirst: true, ...opts });
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

/**
 * Tables created by DDL after the backup have their tablespace re-created from
 * the redo, but their .frm is not in the log: supply the one saved in `frmDir`
 * from the live server (the workload's DDL tables are not altered afterwards).
 */
async function addMissingFrm(dir: string, point: RestorePoint, frmDir: string): Promise<void> {
  for (const table of Object.keys(point.checksums)) {
    if (point.checksums[table] === 'NULL') continue;
    const name = table.split('.')[1]! + '.frm';
    const to = join(dir, 'wl', name);
    if (!(await stat(to).then(() => true, () => false))) await copyFile(join(frmDir, name), to);
  }
}

/**
 * The restore check: start mariadbd on the prepared `dir`; CHECKSUM TABLE must
 * equal the live server's at the restore point, CHECK TABLE must say OK for
 * every table that existed then, and the server log must have no [ERROR].
 */
export async function verifyRestorePoint(
  t: import('ava').ExecutionContext,
  dir: string,
  point: RestorePoint,
  tables: string[],
  frmDir: string,
): Promise<void> {
  await addMissingFrm(dir, point, frmDir);
  let srv: Server | undefined;
  try {
    srv = await startServerOn(dir);
    t.deepEqual(await srv.checksums(tables), point.checksums, `checksums at ${point.name}`);
    const checks = await srv.checkTables(tables.filter((x) => point.checksums[x] !== 'NULL'));
    for (const [table, msg] of Object.entries(checks)) t.is(msg, 'OK', `CHECK TABLE ${table}`);
    t.deepEqual(srv.errorLines(), [], 'no [ERROR] in the restored server log');
    await srv.stop({ keepFiles: true });
    srv = undefined;
  } finally {
    await srv?.kill({ keepFiles: true });
  }
}

/**
 * Saves the workload tables' .frm files (`datadir/wl/*.frm`) into `frmDir`,
 * later calls overwriting earlier ones. Called at every restore point, so a
 * table that is later renamed or dropped (ddl_a) still has its definition for
 * restores to points where it existed, whenever the base backup was taken.
 */
export async function saveFrms(datadir: string, frmDir: string): Promise<void> {
  await mkdir(frmDir, { recursive: true });
  for (const f of await readdir(join(datadir, 'wl'))) if (f.endsWith('.frm')) await copyFile(join(datadir, 'wl', f), join(frmDir, f));
}
