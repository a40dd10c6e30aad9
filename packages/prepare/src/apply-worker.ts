import { parentPort, workerData } from 'node:worker_threads';
import { IbarchiveError } from '@ibarchive/parser';
import { ApplyError } from './apply/index.js';
import { PageCache } from './page-cache.js';
import { PageLoader } from './page-loader.js';
import { PageTable } from './page-table.js';
import { SpillFile } from './spill-file.js';
import { windowFromMessage } from './window-records.js';
import { WindowApplier } from './window-apply.js';
import type { FromWorker, ToWorker, WorkerSetup } from './apply-messages.js';

/**
 * The apply thread of a prepare (see ApplyPipeline): holds the pages of a
 * pass (PageCache, in shared memory) and applies the windows of records the
 * decoding thread posts, in order, with the drops of spaces between them.
 */
const setup = workerData as WorkerSetup;
const port = parentPort!;
const spill = setup.spillPath === undefined ? undefined : new SpillFile(setup.spillPath, setup.pageSize);
const cache = new PageCache(setup.pageSize, setup.maxSlots, true, spill);
let resolved = new Map<number, string | null>();
let loader: PageLoader | undefined;
let applier: WindowApplier | undefined;
let touched: Touched | undefined;

/** Pages touched per space in pass 1 (for the summary); a deleted space's pages no longer count. */
class Touched {
  readonly table = new PageTable();
  readonly perSpace = new Map<number, number>();
  total = 0;
  mark(spaceId: number, pageNo: number): void {
    if (this.table.get(spaceId, pageNo) >= 0) return;
    this.table.set(spaceId, pageNo, 0);
    this.perSpace.set(spaceId, (this.perSpace.get(spaceId) ?? 0) + 1);
    this.total++;
  }
  drop(spaceId: number): void {
    this.total -= this.perSpace.get(spaceId) ?? 0;
    this.perSpace.delete(spaceId);
    this.table.deleteSpace(spaceId);
  }
}

/** Page numbers by space id. */
function voidedSet(pairs: Array<[number, number]>): Map<number, Set<number>> | undefined {
  if (pairs.length === 0) return undefined;
  const out = new Map<number, Set<number>>();
  for (const [s, p] of pairs) {
    let set = out.get(s);
    if (!set) out.set(s, (set = new Set()));
    set.add(p);
  }
  return out;
}

function send(m: FromWorker): void {
  port.postMessage(m);
}

function handle(m: ToWorker): void {
  switch (m.kind) {
    case 'pass': {
      if (m.pass > 1) cache.endPass();
      loader?.close();
      resolved = new Map();
      loader = new PageLoader(setup.dir, setup.pageSize, (id) => resolved.get(id));
      touched = m.pass === 1 ? new Touched() : undefined;
      const t = touched;
      applier = new WindowApplier(cache, loader, {
        unknownSpaces: m.unknownSpaces,
        onWarning: (message) => send({ kind: 'warning', message }),
        onPage: t ? (s, p) => t.mark(s, p) : undefined,
      });
      return;
    }
    case 'window': {
      for (const [id, path] of m.spaces) if (path !== undefined && !resolved.has(id)) resolved.set(id, path);
      const w = windowFromMessage(m.window);
      applier!.apply(w, voidedSet(m.voided));
      send({ kind: 'applied', store: m.store });
      return;
    }
    case 'drop':
      applier!.dropSpace(m.spaceId, m.trimmedTo);
      if (m.trimmedTo === undefined) touched?.drop(m.spaceId);
      return;
    case 'end': {
      loader?.close();
      spill?.close();
      applier!.throwIfBroken();
      send({
        kind: 'pass-done',
        pages: cache.snapshot(),
        applied: applier!.applied,
        skipped: applier!.skipped,
        touched: touched ? [...touched.perSpace] : [],
        touchedTotal: touched?.total ?? 0,
      });
      return;
    }
  }
}

port.on('message', (m: ToWorker) => {
  try {
    handle(m);
  } catch (e) {
    report(e);
  }
});

function report(e: unknown): void {
  const err = e instanceof Error ? e : new Error(String(e));
  send({
    kind: 'error',
    name: err.name,
    message: err.message,
    errorClass: e instanceof IbarchiveError ? e.errorClass : 'internal',
    lsn: e instanceof IbarchiveError ? e.lsn : undefined,
    apply: e instanceof ApplyError ? { record: e.record, spaceId: e.spaceId, pageNo: e.pageNo, check: e.check } : undefined,
    stack: err.stack,
  });
}
