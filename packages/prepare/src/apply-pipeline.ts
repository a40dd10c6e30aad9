import { Worker } from 'node:worker_threads';
import { IbarchiveError } from '@ibarchive/parser';
import { ApplyError } from './apply/index.js';
import type { FromWorker, ToWorker, WorkerSetup } from './apply-messages.js';
import { CacheSnapshot } from './page-cache.js';
import { SpillFile } from './spill-file.js';
import type { WindowMessage } from './window-records.js';

/** What the apply thread reports at the end of a pass. */
export interface PassResult {
  readonly pages: CacheSnapshot;
  readonly applied: number;
  readonly skipped: number;
  /** Pass 1: pages touched per space, and in all. */
  readonly touched: Map<number, number>;
  readonly touchedTotal: number;
}

/**
 * Decoding and applying on two threads: this thread reads, checks and
 * groups the log into windows of records (RecordStores whose rows and log
 * arena are shared memory); the apply thread (apply-worker.ts) applies one
 * window while the next is decoded, into page images in shared memory that
 * this thread writes once the pass is over. Messages keep log order: a drop
 * of a space posted while a window is decoded reaches the apply thread after
 * the previous window and before the one that follows.
 */
export class ApplyPipeline {
  private readonly worker: Worker;
  private failure: Error | undefined;
  private readonly busy = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  private readonly drops: ToWorker[] = [];
  private passDone: { resolve: (r: PassResult) => void; reject: (e: Error) => void } | undefined;

  /** Reads back the pages the apply thread spilled (see PageCache). */
  readonly spill: SpillFile | undefined;

  constructor(setup: WorkerSetup, onWarning?: (message: string) => void) {
    this.spill = setup.spillPath === undefined ? undefined : new SpillFile(setup.spillPath, setup.pageSize, true);
    this.worker = new Worker(new URL('./apply-worker.js', import.meta.url), { workerData: setup });
    this.worker.on('message', (m: FromWorker) => {
      if (m.kind === 'applied') {
        this.busy.get(m.store)?.resolve();
        this.busy.delete(m.store);
      } else if (m.kind === 'warning') {
        onWarning?.(m.message);
      } else if (m.kind === 'pass-done') {
        this.passDone?.resolve({
          pages: new CacheSnapshot(m.pages, this.spill),
          applied: m.applied,
          skipped: m.skipped,
          touched: new Map(m.touched),
          touchedTotal: m.touchedTotal,
        });
        this.passDone = undefined;
      } else {
        this.fail(
          m.apply
            ? new ApplyError(m.apply.record, m.apply.spaceId, m.apply.pageNo, m.apply.check, { pageSize: 0, lsn: m.lsn })
            : new IbarchiveError(m.errorClass, m.errorClass === 'internal' ? `apply thread: ${m.message}` : m.message),
        );
      }
    });
    this.worker.on('error', (e) => this.fail(new IbarchiveError('internal', `apply thread: ${e.message}`)));
    this.worker.on('exit', (code) => this.fail(new IbarchiveError('internal', `apply thread exited (${code})`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const b of this.busy.values()) b.resolve();
    this.busy.clear();
    this.passDone?.reject(this.failure);
    this.passDone = undefined;
  }

  private post(m: ToWorker): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(m);
  }

  startPass(pass: number, unknownSpaces: 'defer' | 'ignore'): void {
    this.post({ kind: 'pass', pass, unknownSpaces });
  }

  /** Hands a window over; `store` numbers it until `free(store)` says it can be filled again. */
  window(store: number, window: WindowMessage, spaces: Array<[number, string | null | undefined]>, voided: Array<[number, number]> = []): void {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.busy.set(store, { promise, resolve });
    this.post({ kind: 'window', store, window, spaces, voided });
  }

  /** Resolves once window `store` is applied. */
  async free(store: number): Promise<void> {
    await this.busy.get(store)?.promise;
    if (this.failure) throw this.failure;
  }

  /** Queues the drop of a space (FILE_DELETE, TRIM_PAGES) decoded in the window being filled. */
  drop(spaceId: number, trimmedTo: number | undefined): void {
    this.drops.push({ kind: 'drop', spaceId, trimmedTo });
  }

  /** The drops queued since the last call (those of the window just decoded). */
  takeDrops(): ToWorker[] {
    return this.drops.splice(0);
  }

  /** Hands drops over: just before the window they were decoded in. */
  postDrops(drops: readonly ToWorker[]): void {
    for (const d of drops) this.post(d);
  }

  /** Ends the pass once every window is applied: the pages to write, or the first record that could not be applied. */
  endPass(): Promise<PassResult> {
    const done = new Promise<PassResult>((resolve, reject) => (this.passDone = { resolve, reject }));
    this.post({ kind: 'end' });
    return done;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
    this.spill?.close();
  }
}
