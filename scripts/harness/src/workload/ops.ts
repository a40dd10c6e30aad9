import { Prng } from './prng.js';
import type { WorkloadSchema } from './schema.js';

/** First id of rows inserted by the long open transaction (outside the ids of normal rounds). */
export const OPEN_TRX_FIRST_ID = 100_000_000;

/**
 * SQL generators of the workload. They track which ids are live in each table so that updates
 * and deletes hit existing rows; the same seed yields the same statements.
 */
export class WorkloadOps {
  readonly rng: Prng;
  private readonly live = new Map<string, number[]>();
  private nextId = 1;
  private nextBlobId = 1;

  constructor(
    readonly schema: WorkloadSchema,
    seed: number,
  ) {
    this.rng = new Prng(seed);
    for (const t of [...schema.rowTables, schema.partTable, schema.blobTable]) this.live.set(t, []);
  }

  /** Live ids of a table as the generator believes them (committed state). */
  liveIds(table: string): readonly number[] {
    return this.live.get(table) ?? [];
  }

  private rowValues(id: number, round: number): string {
    const r = this.rng;
    return `(${id}, ${r.int(0, 100_000)}, 'u${id}', '${r.text(r.int(0, 380))}', ${round * 1_000_000 + id})`;
  }

  /** Multi-row INSERTs of `count` new rows into a row-format table (100 rows a statement). */
  insertRows(table: string, count: number, round: number): string {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push(this.nextId++);
    this.live.get(table)!.push(...ids);
    return chunk(ids, 100)
      .map((c) => `INSERT INTO ${table} (id, k, u, pad, n) VALUES ${c.map((id) => this.rowValues(id, round)).join(',\n')};`)
      .join('\n');
  }

  /** One transaction updating `share` of the rows: pad length changes (grow and shrink), k moves, some unique keys change. */
  updateRows(table: string, share: number, round: number): string {
    const r = this.rng;
    const ids = r.sample(this.live.get(table)!, Math.ceil(this.live.get(table)!.length * share));
    const stmts = ids.map((id) => {
      const uniq = r.next() < 0.1 ? `, u = 'u${id}r${round}'` : '';
      return `UPDATE ${table} SET pad = '${r.text(r.int(0, 380))}', k = ${r.int(0, 100_000)}, n = n + 1${uniq} WHERE id = ${id};`;
    });
    return txn(stmts);
  }

  /** Deletes a contiguous id range (empties pages, so they merge) and some scattered rows. */
  deleteRows(table: string, rangeShare: number, scatterShare: number): string {
    const r = this.rng;
    const ids = [...this.live.get(table)!].sort((a, b) => a - b);
    if (ids.length < 10) return '';
    const len = Math.floor(ids.length * rangeShare);
    const start = r.int(0, ids.length - len - 1);
    const lo = ids[start]!;
    const hi = ids[start + len - 1] ?? lo;
    const gone = new Set(ids.filter((id) => id >= lo && id <= hi));
    const scattered = r.sample(ids.filter((id) => !gone.has(id)), Math.floor(ids.length * scatterShare));
    scattered.forEach((id) => gone.add(id));
    this.live.set(table, this.live.get(table)!.filter((id) => !gone.has(id)));
    const stmts = [`DELETE FROM ${table} WHERE id BETWEEN ${lo} AND ${hi};`];
    for (const c of chunk(scattered, 200)) stmts.push(`DELETE FROM ${table} WHERE id IN (${c.join(',')});`);
    return stmts.join('\n');
  }

  /** A transaction that inserts, updates and deletes, then rolls back (its ids are not reused). */
  rolledBack(table: string, round: number): string {
    const r = this.rng;
    const ins: number[] = [];
    for (let i = 0; i < 40; i++) ins.push(this.nextId++);
    const ids = this.live.get(table)!;
    const upd = r.sample(ids, 40).map((id) => `UPDATE ${table} SET pad = '${r.text(r.int(200, 390))}', u = 'rb${id}' WHERE id = ${id};`);
    const del = r.sample(ids, 20);
    return [
      'BEGIN;',
      `INSERT INTO ${table} (id, k, u, pad, n) VALUES ${ins.map((id) => this.rowValues(id, round)).join(',\n')};`,
      ...upd,
      del.length ? `DELETE FROM ${table} WHERE id IN (${del.join(',')});` : '',
      'ROLLBACK;',
    ].join('\n');
  }

  /** Partitioned table: inserts, updates that move k, deletes. */
  partitionRound(count: number): string {
    const r = this.rng;
    const t = this.schema.partTable;
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push(this.nextId++);
    const stmts = chunk(ids, 100).map(
      (c) => `INSERT INTO ${t} (id, k, pad) VALUES ${c.map((id) => `(${id}, ${r.int(0, 1000)}, '${r.text(r.int(10, 290))}')`).join(',')};`,
    );
    this.live.get(t)!.push(...ids);
    const upd = r.sample(this.live.get(t)!, Math.ceil(count / 4));
    stmts.push(txn(upd.map((id) => `UPDATE ${t} SET k = ${r.int(0, 1000)}, pad = '${r.text(r.int(0, 290))}' WHERE id = ${id};`)));
    const del = r.sample(this.live.get(t)!, Math.ceil(count / 6));
    this.live.set(t, this.live.get(t)!.filter((id) => !del.includes(id)));
    if (del.length) stmts.push(`DELETE FROM ${t} WHERE id IN (${del.join(',')});`);
    return stmts.join('\n');
  }

  /**
   * Off-page columns: inserts BLOB/TEXT values of `minKB`..`maxKB` (built server-side from MD5
   * so the SQL stays short), updates one to a new size, and deletes the oldest beyond `keep` rows.
   */
  blobRound(inserts: number, minKB: number, maxKB: number, keep: number): string {
    const r = this.rng;
    const t = this.schema.blobTable;
    const ids = this.live.get(t)!;
    const stmts: string[] = [];
    const value = (id: number, kb: number): string => `REPEAT(MD5('${id}-${kb}-${r.int(0, 1e9)}'), ${kb * 32})`;
    for (let i = 0; i < inserts; i++) {
      const id = this.nextBlobId++;
      const kb = r.int(minKB, maxKB);
      stmts.push(`INSERT INTO ${t} VALUES (${id}, 'tag${id % 7}', ${value(id, kb)}, ${value(id, r.int(9, 40))});`);
      ids.push(id);
    }
    const victim = ids[r.int(0, ids.length - 1)];
    if (victim !== undefined) stmts.push(`UPDATE ${t} SET b = ${value(victim, r.int(minKB, maxKB))}, tag = 'upd' WHERE id = ${victim};`);
    while (ids.length > keep) stmts.push(`DELETE FROM ${t} WHERE id = ${ids.shift()};`);
    return stmts.join('\n');
  }

  /** Rows inserted by the long open transaction (ids from {@link OPEN_TRX_FIRST_ID}). */
  openTrxInsert(table: string, count: number): string {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push(OPEN_TRX_FIRST_ID + i);
    return chunk(ids, 100)
      .map((c) => `INSERT INTO ${table} (id, k, u, pad, n) VALUES ${c.map((id) => this.rowValues(id, 0)).join(',\n')};`)
      .join('\n');
  }

  /** Marks the open transaction's rows live once it has committed. */
  openTrxCommitted(table: string, count: number): void {
    for (let i = 0; i < count; i++) this.live.get(table)!.push(OPEN_TRX_FIRST_ID + i);
  }
}

function chunk<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

function txn(stmts: string[]): string {
  return stmts.length ? ['BEGIN;', ...stmts, 'COMMIT;'].join('\n') : '';
}
