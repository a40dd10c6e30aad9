import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { formatLsn, type Lsn } from '@ibarchive/parser';
import type { FileOp } from './plan.js';
import { normalizeLogName, type PageStore } from './page-store.js';
import { syncDir, writeFileAtomic } from './state.js';

/** How far the file operations of an interrupted prepare got (see runFileOpsResumable). */
export const FILE_OPS_FILE = 'ibarchive_prepare.fileops.json';

interface Progress {
  readonly version: 1;
  /** The run's start LSN: the log's file operations from there are the same list again. */
  readonly startLsn: string;
  /** Operations done, and the LSN and space of the last one (checked against the list). */
  readonly done: number;
  readonly lastLsn: string;
  readonly lastSpace: number;
  /** Where the file of every space the operations touch was after the last one done. */
  readonly bindings: Array<[number, string]>;
}

/**
 * Runs the FILE_* operations of the log in log order (`run` does one),
 * recording after each, durably, how many are done and where the files of
 * the spaces they touch are. A re-run of a killed prepare starts after the
 * last one recorded, with those files: replaying them from the start on a
 * directory they already changed could take the file a later FILE_CREATE
 * made under a reused name for the space that had that name before. The one
 * operation in flight at the kill is run again (each is idempotent).
 */
export async function runFileOpsResumable(
  dir: string,
  start: Lsn,
  ops: readonly FileOp[],
  store: PageStore,
  run: (op: FileOp, i: number) => Promise<void>,
): Promise<void> {
  if (ops.length === 0) return;
  const ids = [...new Set(ops.map((o) => o.spaceId))];
  let from = 0;
  const saved = await readProgress(dir);
  if (saved && saved.startLsn === formatLsn(start) && saved.done <= ops.length && saved.done > 0) {
    const last = ops[saved.done - 1]!;
    if (formatLsn(last.lsn) === saved.lastLsn && last.spaceId === saved.lastSpace) {
      await store.restoreBindings(saved.bindings);
      from = saved.done;
    }
  }
  for (let i = from; i < ops.length; i++) {
    const op = ops[i]!;
    await run(op, i);
    // The directory entries the operation changed are durable before it is recorded as done.
    const names = [op.kind === 'rename' ? op.newName : undefined, 'name' in op ? op.name : undefined, store.pathOf(op.spaceId)];
    const dirs = new Set<string>();
    for (const n of names) {
      const p = n === undefined ? undefined : (normalizeLogName(n) ?? n);
      if (p !== undefined) dirs.add(dirname(join(dir, p)));
    }
    for (const d of dirs) {
      await syncDir(d).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    const progress: Progress = {
      version: 1,
      startLsn: formatLsn(start),
      done: i + 1,
      lastLsn: formatLsn(op.lsn),
      lastSpace: op.spaceId,
      bindings: store.bindings(ids),
    };
    await writeFileAtomic(dir, FILE_OPS_FILE, JSON.stringify(progress) + '\n');
  }
}

async function readProgress(dir: string): Promise<Progress | undefined> {
  try {
    const p = JSON.parse(await readFile(join(dir, FILE_OPS_FILE), 'utf8')) as Progress;
    return p.version === 1 && Number.isInteger(p.done) && Array.isArray(p.bindings) ? p : undefined;
  } catch {
    return undefined;
  }
}
