import { PageTable } from './page-table.js';

/**
 * What the look-ahead (reset-scan.ts) found of resets ahead of decoding: per page, the start
 * LSN of the last mtr known to reset it. A record of a page that a later mtr
 * resets is void (redo-format.md 6.3), so the planner neither stores nor
 * applies it (on the bench log 18 M of 22 M records). Every page skipped that
 * way is owed a reset: the planner settles it when it decodes one itself. A
 * page still owed at the end of a pass (the look-ahead read something the pass
 * did not) means records were dropped in error, and the pass is run again
 * without hints.
 */
export class ResetHints {
  private readonly table = new PageTable();
  private lastReset = new Float64Array(1024);
  private owed = new Uint8Array(1024);
  private space = new Uint32Array(1024);
  private count = 0;
  private owedCount = 0;
  /** Records skipped. */
  skipped = 0;

  /** Adds a reset of the page in the mtr starting at `lsn` (resets are added in log order). */
  add(spaceId: number, pageNo: number, lsn: number): void {
    let i = this.table.get(spaceId, pageNo);
    if (i < 0) {
      i = this.count++;
      if (i === this.lastReset.length) this.grow();
      this.table.set(spaceId, pageNo, i);
      this.space[i] = spaceId;
    }
    this.lastReset[i] = lsn;
  }

  /** True if a reset of the page is known in an mtr starting after `startLsn`: the record is void; the page is then owed that reset. */
  voids(spaceId: number, pageNo: number, startLsn: number): boolean {
    const i = this.table.get(spaceId, pageNo);
    if (i < 0 || !(this.lastReset[i]! > startLsn)) return false;
    if (this.owed[i] === 0) {
      this.owed[i] = 1;
      this.owedCount++;
    }
    this.skipped++;
    return true;
  }

  /** The planner decoded a reset of the page: what was skipped for it is void indeed. */
  settle(spaceId: number, pageNo: number): void {
    if (this.owedCount === 0) return;
    const i = this.table.get(spaceId, pageNo);
    if (i >= 0 && this.owed[i] === 1) {
      this.owed[i] = 0;
      this.owedCount--;
    }
  }

  /** Pages skipped for a reset never decoded, outside spaces deleted since (whose records are void anyway). */
  unsettled(deleted: ReadonlySet<number>): number {
    if (this.owedCount === 0) return 0;
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.owed[i] === 1 && !deleted.has(this.space[i]!)) n++;
    return n;
  }

  /** Starts a pass over the same log: nothing owed yet. */
  newPass(): void {
    this.owed.fill(0);
    this.owedCount = 0;
    this.skipped = 0;
  }

  private grow(): void {
    const n = this.lastReset.length * 2;
    const l = new Float64Array(n);
    l.set(this.lastReset);
    this.lastReset = l;
    const o = new Uint8Array(n);
    o.set(this.owed);
    this.owed = o;
    const s = new Uint32Array(n);
    s.set(this.space);
    this.space = s;
  }
}
