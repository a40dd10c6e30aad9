import type { LogEnd, Lsn, MtrBatch } from '@ibarchive/parser';
import type { ApplyPipeline, PassResult } from './apply-pipeline.js';
import type { ToWorker } from './apply-messages.js';
import { HOLD_BACK, HOLD_BACK_WITH_HINTS, NO_HOLD_LEAD, SLOTS } from './memory-plan.js';
import type { Planner } from './plan.js';
import { PAGE_FREED, PAGE_INIT, RecordStore } from './record-store.js';
import type { ResetHints } from './reset-hints.js';
import type { LookAhead } from './look-ahead.js';

type Item = MtrBatch | LogEnd;

/** Pulls mtr batches from a stitched read, keeping the batch that was only partly taken. */
export class BatchFeed {
  private pending: MtrBatch | undefined;
  private from = 0;
  end: LogEnd | undefined;
  constructor(private readonly it: AsyncGenerator<Item>) {}

  /**
   * Feeds the next batch (or the rest of a partly taken one) into `plan`.
   * `more`: taken whole; `full`: the window (the plan's store) is full, the rest stays
   * pending for the next window; `end`: the log or the target was reached.
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

/** A window slot: a store whose rows, chains and log arena are shared memory, filled here and applied by the apply thread. */
export interface WindowSlot {
  readonly store: RecordStore;
}

/** Window slots (SLOTS of them), each of `records` rows and an arena of `arenaBytes`. */
export function windowSlots(records: number, arenaBytes: number): WindowSlot[] {
  return Array.from({ length: SLOTS }, () => ({
    store: new RecordStore(records, new Uint8Array(new SharedArrayBuffer(arenaBytes)), true),
  }));
}


/**
 * The pages a window resets (INIT_PAGE or FREE_PAGE): the previous window's
 * records for them are void, so it is handed over without them.
 */
function resets(s: RecordStore): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let p = 0; p < s.pageCount; p++) {
    const f = s.pageFlags[p]!;
    if (f === PAGE_INIT || f === PAGE_FREED) out.push([s.pageSpace[p]!, s.pageNo[p]!]);
  }
  return out;
}

/** What a pass knows of pages reset ahead of it (reset-hints.ts, look-ahead.ts). */
export interface PassAhead {
  readonly hints: ResetHints;
  /** Reads ahead while the pass decodes, filling `hints` (pass 1). */
  readonly reader?: LookAhead | undefined;
  /** Read everything ahead before decoding (PrepareOptions.lookAheadFirst). */
  readonly readFirst?: boolean | undefined;
}

/**
 * One pass over the log: windows of records decoded and grouped by page here,
 * applied by the apply thread. A window is handed over once the next
 * HOLD_BACK are decoded (HOLD_BACK_WITH_HINTS with a look-ahead's hints),
 * without the pages they reset (on a long sysbench log without hints 70 % of
 * the records a later INIT_PAGE voids are voided by the very next window); the
 * apply thread meanwhile applies the windows before. Space drops decoded in a
 * window are handed over just before it, keeping log order.
 */
export async function runPass(
  pipe: ApplyPipeline,
  pass: number,
  slots: WindowSlot[],
  plan: Planner,
  feed: BatchFeed,
  toLsn: Lsn | undefined,
  resolve: (spaceId: number) => string | null | undefined,
  onProgress: (lsn: Lsn | undefined) => void,
  /** Where the log is expected to end, if known: the last windows shrink towards it. */
  expectedEnd?: Lsn | undefined,
  /** Pages reset ahead, and in pass 1 the look-ahead that finds them while this pass decodes (see PassAhead). */
  ahead?: PassAhead,
): Promise<PassResult> {
  pipe.startPass(pass, pass === 1 ? 'defer' : 'ignore');
  const reader = ahead?.reader;
  if (ahead?.readFirst) await reader?.readAll();
  plan.hints = ahead?.hints;
  // Windows held back now. Once the look-ahead has framed NO_HOLD_LEAD past what is decoded (or
  // all it can, past it), or in a later pass (hints of the whole range), what a held window would
  // wait for is in the hints already: a window goes to the apply thread as soon as it is decoded.
  const holdBack = (): number => {
    if (!ahead) return HOLD_BACK;
    if (!reader) return 0;
    const at = Number(plan.reachedLsn ?? 0n);
    return reader.scanned >= at + NO_HOLD_LEAD || (reader.done && reader.scanned >= at) ? 0 : HOLD_BACK_WITH_HINTS;
  };
  plan.hints?.newPass();
  for (let i = 0; i < slots.length; i++) await pipe.free(i);
  let cur = 0;
  // Windows decoded, not handed over yet, oldest first; each with the pages later windows reset.
  // Space drops decoded in a window go just before it: after every window before it.
  const held: Array<{
    slot: number;
    spaces: Array<[number, string | null | undefined]>;
    voided: Array<[number, number]>;
    drops: ToWorker[];
  }> = [];
  const handOver = () => {
    const h = held.shift()!;
    pipe.postDrops(h.drops);
    pipe.window(h.slot, slots[h.slot]!.store.windowMessage(), h.spaces, h.voided);
  };
  // The first windows are short: the apply thread starts sooner (1/8, 1/4, 1/2, then whole).
  let share = 1 / 8;
  slots[0]!.store.reset(share);
  plan.nextWindow(slots[0]!.store);
  for (;;) {
    reader?.update(plan.reachedLsn);
    const st = await feed.feed(plan, toLsn);
    if (st !== 'more' && plan.store.mtrCount > 0) {
      const store = slots[cur]!.store;
      const r = resets(store);
      for (const h of held) for (const pair of r) h.voided.push(pair);
      held.push({ slot: cur, spaces: [...store.spaces.keys()].map((id) => [id, resolve(id)]), voided: [], drops: pipe.takeDrops() });
      while (held.length > holdBack()) handOver();
      cur = (cur + 1) % slots.length;
      await pipe.free(cur);
      // Near the expected end windows shrink, so that the apply thread's last window is short.
      const left = expectedEnd !== undefined && plan.reachedLsn !== undefined ? Number(expectedEnd - plan.reachedLsn) : Infinity;
      share = Math.max(1 / 8, Math.min(1, share * 2, left / (2 * slots[cur]!.store.arena!.length)));
      slots[cur]!.store.reset(share);
      plan.nextWindow(slots[cur]!.store);
    }
    if (st === 'end') break;
    onProgress(plan.reachedLsn);
  }
  while (held.length > 0) handOver();
  pipe.postDrops(pipe.takeDrops());
  return pipe.endPass();
}
