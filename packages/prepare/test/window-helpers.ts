import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linearSource, readMtrBatches, type LogEnd, type MtrBatch } from '@ibarchive/parser';
import { PageCache } from '../src/page-cache.js';
import { PageLoader } from '../src/page-loader.js';
import { Planner, SpaceKnowledge } from '../src/plan.js';
import { WindowApplier } from '../src/window-apply.js';

/** The subset of the parser's test redo builder used here (packages/parser/test/builder.ts). */
export interface MtrBuilder {
  initPage(space: number, page: number): MtrBuilder;
  write(pid: readonly [number, number] | null, offset: number, data: ArrayLike<number>): MtrBuilder;
  extended(pid: readonly [number, number] | null, subtype: number, payload?: ArrayLike<number>): MtrBuilder;
  fileDelete(space: number, name: string): MtrBuilder;
  records(): Uint8Array;
}
export const { mtr, linearLog } = (await import(new URL('../../../parser/dist/test/builder.js', import.meta.url).href)) as {
  mtr(): MtrBuilder;
  linearLog(records: Uint8Array[]): Uint8Array;
};

export const PS = 16384;
export const FIRST = 100000n;

/** A directory with `a.ibd` (space 5) of `pages` pages whose byte 100 holds the page number + 1 and FIL_PAGE_LSN 0. */
export function baseDir(t: { teardown(f: () => void): void }, pages: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'ibarchive-window-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = new Uint8Array(pages * PS);
  for (let p = 0; p < pages; p++) file[p * PS + 100] = p + 1;
  writeFileSync(join(dir, 'a.ibd'), file);
  return dir;
}

/** Runs one pass over the log; `perMtr`: every mtr is a window of its own (else one per read). */
export async function pass(dir: string, mtrs: MtrBuilder[], cache: PageCache, perMtr = false) {
  const loader = new PageLoader(dir, PS, (id) => (id === 5 ? 'a.ibd' : undefined));
  const applier = new WindowApplier(cache, loader, { unknownSpaces: 'ignore' });
  const plan = new Planner(new SpaceKnowledge(), { pageSize: PS }, true, 1 << 19, (id, to) => applier.dropSpace(id, to));
  const src = linearSource('test.log', FIRST, linearLog(mtrs.map((m) => m.records())));
  for await (const item of readMtrBatches(src, FIRST, { batchBytes: 4096 })) {
    if ((item as LogEnd).kind === 'end') break;
    const b = item as MtrBatch;
    for (let i = 0; i < b.count; ) {
      i = plan.add(b, i, perMtr ? b.lsn + BigInt(b.ends[i]!) : undefined);
      applier.apply(plan.store);
      plan.nextWindow();
    }
  }
  loader.close();
  return applier;
}

