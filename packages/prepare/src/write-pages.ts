import { IbarchiveError, type Lsn } from '@ibarchive/parser';
import { runFileOpsResumable } from './file-ops-progress.js';
import { finalizePage } from './apply/index.js';
import { isAllZero, readFspHeader } from './fsp.js';
import { SLOT_FREED, SLOT_INIT, type PassPages } from './page-cache.js';
import type { PageStore } from './page-store.js';
import type { FileOp, SpaceKnowledge } from './plan.js';

/**
 * Runs the FILE_* operations of the log in log order (create, rename, delete,
 * trim), from where a killed run with the same start left off (see
 * runFileOpsResumable).
 */
export async function runFileOps(dir: string, start: Lsn, ops: readonly FileOp[], pages: PageStore, onWarning?: (m: string) => void): Promise<void> {
  await runFileOpsResumable(dir, start, ops, pages, async (op, i) => {
    if (op.kind === 'create') {
      const holder = await pages.create(op.spaceId, op.name, renamesAfter(ops, i));
      if (holder !== undefined) {
        pages.missing.add(op.spaceId);
        onWarning?.(`tablespace ${op.spaceId} (${op.name}) was replaced by tablespace ${holder} later; its redo is ignored`);
      }
    } else if (op.kind === 'rename') await pages.rename(op.spaceId, op.name, op.newName);
    else if (op.kind === 'delete') await pages.delete(op.spaceId);
    else await pages.truncate(op.spaceId, op.size);
  });
}

/**
 * The names the space created by ops[i] is renamed to later in the log, until
 * it is deleted; not a name another space is created with later (its file,
 * not this one's, may be the one found there).
 */
function renamesAfter(ops: readonly FileOp[], i: number): string[] {
  const id = ops[i]!.spaceId;
  const later = ops.slice(i + 1);
  const createdByOthers = new Set<string>();
  for (const op of later) if (op.kind === 'create' && op.spaceId !== id) createdByOthers.add(op.name);
  const out: string[] = [];
  for (const op of later) {
    if (op.spaceId !== id) continue;
    if (op.kind === 'delete' || op.kind === 'create') break;
    if (op.kind === 'rename' && !createdByOthers.has(op.newName)) out.push(op.newName);
  }
  return out;
}

export interface WritePassOptions {
  /** Staged page bytes that start a flush group (journal, then in place). */
  readonly flushBytes: number;
  /** Tablespace flags known per space (carried across passes). */
  readonly flags: Map<number, number>;
  readonly knowledge: SpaceKnowledge;
  readonly onWarning?: ((message: string) => void) | undefined;
  readonly onProgress?: ((pagesDone: number, pagesTotal: number) => void) | undefined;
}

/**
 * Writes the pages a pass applied, space by space (page 0 first, then
 * ascending): each page with records applied gets FIL_PAGE_LSN = the end LSN
 * of its last mtr applied and its checksum (per the space's flags, from page
 * 0 as applied, on disk, or in the log), then goes through the journal in
 * flush groups; each file grows to its FSP_SIZE. Pages of spaces without a
 * file are dropped with a warning. Returns pages written and files extended.
 */
export async function writePass(cache: PassPages, pages: PageStore, opts: WritePassOptions): Promise<{ pagesWritten: number; filesExtended: number }> {
  const k = opts.knowledge;
  const ps = pages.pageSize;
  let pagesWritten = 0;
  let filesExtended = 0;
  let done = 0;
  const total = cache.count;
  const grow: Array<[number, number]> = [];
  for (const id of cache.spaceIds()) {
    const slots = cache.slotsInOrder(id);
    if (!pages.has(id) && !pages.bindByName(id, k.names.get(id))) {
      if (!pages.missing.has(id)) {
        pages.missing.add(id);
        opts.onWarning?.(`tablespace ${id}${k.names.has(id) ? ` (${k.names.get(id)})` : ''} was not found; its redo is ignored`);
      }
      done += slots.length;
      continue;
    }
    let flags = opts.flags.get(id);
    let fspSize = -1;
    for (const slot of slots) {
      done++;
      const lastEnd = cache.lastEnd[slot]!;
      if (lastEnd < 0) continue;
      const pageNo = cache.pageNo[slot]!;
      const page = cache.page(slot);
      if (pageNo === 0) {
        const h = readFspHeader(page);
        flags = h.flags;
        fspSize = h.size;
      }
      flags ??= await flagsFromDisk(pages, id, ps);
      flags ??= k.fspFlags.get(id);
      if (flags === undefined) throw new IbarchiveError('corrupt', `tablespace ${id} (${pages.pathOf(id)}) has no page 0 flags on disk or in the log`);
      opts.flags.set(id, flags);
      finalizePage(page, BigInt(lastEnd), flags, id, pageNo);
      // A page whose records start with INIT_PAGE / FREE_PAGE in this pass is rebuilt by a re-run
      // whatever is on disk: it needs no journal copy (most pages of a long log, here).
      pages.stage(id, pageNo, page, false, (cache.state[slot]! & (SLOT_INIT | SLOT_FREED)) === 0);
      pagesWritten++;
      if (pages.stagedBytes >= opts.flushBytes) {
        await pages.startFlush();
        opts.onProgress?.(done, total);
      }
    }
    if (fspSize < 0) {
      const p0 = new Uint8Array(ps);
      await pages.read(id, 0, p0);
      if (!isAllZero(p0)) fspSize = readFspHeader(p0).size;
    }
    if (fspSize > 0) grow.push([id, fspSize]);
  }
  await pages.flush();
  // Files grow once every page is in place: a flush per file would stop flush groups from overlapping.
  for (const [id, size] of grow) if (await pages.extend(id, size)) filesExtended++;
  opts.onProgress?.(total, total);
  return { pagesWritten, filesExtended };
}

async function flagsFromDisk(pages: PageStore, id: number, ps: number): Promise<number | undefined> {
  const p0 = new Uint8Array(ps);
  await pages.read(id, 0, p0);
  return isAllZero(p0) ? undefined : readFspHeader(p0).flags;
}
