import type { LogEnd, Lsn, MtrBatch } from '@ibarchive/parser';
import type { ApplyPipeline, PassResult } from './apply-pipeline.js';
import type { Planner } from './plan.js';
import { RECORD_BYTES, RecordStore } from './record-store.js';

type Item = MtrBatch | LogEnd;

/** Pulls mtr batches from a stitched read, keeping the batch that was only partly taken. */
export class BatchFeed {
  private pending: MtrBatch | undefined;
  private from = 0;
  end: LogEnd | undefined;
  constructor(private readonly it: AsyncGenerator<Item>) {}

  /**
   * Feeds the next batch (or the rest of a partly taken one) into `plan`.
   * `more`: taken whole; `full`: the plan's store is full, the rest stays
   * pending for the next plan; `end`: the log or the target was reached.
   */
  async feed(plan: Planner, toLsn: Lsn | undefined): Promise<'more' | 'full' | 'end'> {
    if (!this.pending) {
      const next = await this.it.next();
      if (next.done || next.value.kind === 'end') {
        if (!next.done) this.end = next.value as LogEnd;
        return 'end';
      }
      this.pending = next.value;
      this.from = 0;
    }
    const b = this.pending;
    const i = plan.add(b, this.from, toLsn);
    if (i === b.count) {
      this.pending = undefined;
      return 'more';
    }
    this.from = i;
    if (plan.full) return 'full';
    // An mtr ends beyond the target: drain the reader to learn where the log ends.
    await this.drain();
    return 'end';
  }

  private async drain(): Promise<void> {
    for (;;) {
      const next = await this.it.next();
      if (next.done) return;
      if (next.value.kind === 'end') {
        this.end = next.value;
        return;
      }
    }
  }
}

/** A RecordStore whose rows and log arena are shared memory (for the apply thread). */
export function sharedStore(records: number, arenaBytes: number): RecordStore {
  return new RecordStore(
    records,
    new Uint32Array(new SharedArrayBuffer(records * RECORD_BYTES)),
    new Uint8Array(new SharedArrayBuffer(arenaBytes)),
  );
}

/**
 * One pass over the log: windows of records decoded here, applied by the apply
 * thread while the next is decoded (two stores take turns).
 */
export async function runPass(
  pipe: ApplyPipeline,
  pass: number,
  stores: RecordStore[],
  plan: Planner,
  feed: BatchFeed,
  toLsn: Lsn | undefined,
  resolve: (spaceId: number) => string | null | undefined,
  onProgress: (lsn: Lsn | undefined) => void,
): Promise<PassResult> {
  pipe.startPass(pass, pass === 1 ? 'defer' : 'ignore');
  let cur = 0;
  await pipe.free(0);
  await pipe.free(1);
  stores[0]!.reset();
  plan.nextWindow(stores[0]);
  for (;;) {
    const st = await feed.feed(plan, toLsn);
    if (st !== 'more' && plan.store.mtrCount > 0) {
      const s = plan.store;
      pipe.window(cur, s, [...s.spaces.keys()].map((id) => [id, resolve(id)]));
      cur ^= 1;
      await pipe.free(cur);
      stores[cur]!.reset();
      plan.nextWindow(stores[cur]);
    }
    if (st === 'end') break;
    onProgress(plan.reachedLsn);
  }
  return pipe.endPass();
}
