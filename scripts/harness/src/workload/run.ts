import type { Server } from '../server.js';
import { ddlSteps } from './ddl.js';
import { OPEN_TRX_FIRST_ID, WorkloadOps } from './ops.js';
import { takeRestorePoint, type RestorePoint } from './points.js';
import { createSchemaSql, permanentTables, pointTables, workloadSchema } from './schema.js';

/** Options of {@link runWorkload}. */
export interface WorkloadOptions {
  /** PRNG seed; the same seed gives the same SQL (default 1). */
  seed?: number;
  /** Database created for the workload; must not exist yet (default 'wl'). */
  database?: string;
  /** Rounds of mixed DML, each ending in a restore point (default 3). */
  rounds?: number;
  /** Rows inserted per row-format table per round (default 400). */
  rowsPerRound?: number;
  /** Round after which a large transaction is held open across a restore point (default 1; -1: never). */
  openTransactionRound?: number;
  /** Rows of that open transaction (default 500). */
  openTransactionRows?: number;
  /** Run the DDL phase (CREATE/RENAME/TRUNCATE/ALTER/DROP) after this round (default 0; -1: never). */
  ddlRound?: number;
  /** Largest BLOB of the rounds, in KiB (default 200; values are 10 KiB up to this). */
  blobMaxKB?: number;
  /** After the rounds, keep writing 1 MB BLOBs until at least this much redo was generated in total (default 0). */
  volumeMB?: number;
  /** During the volume phase, a restore point every this many MB of redo (default 4). */
  pointEveryMB?: number;
  /** Called after each restore point (e.g. to take a backup or copy the log at that moment). */
  onPoint?: (p: RestorePoint) => void | Promise<void>;
}

/**
 * Runs a deterministic workload touching what a real server writes (inserts, size-changing
 * updates, deletes, rollbacks, page splits and merges, secondary and unique indexes, off-page
 * BLOBs, a partitioned table, REDUNDANT/COMPACT/DYNAMIC rows, optional DDL, optional volume to
 * wrap the circular log) and returns the restore points recorded at quiet moments, in LSN order.
 */
export async function runWorkload(srv: Server, opts: WorkloadOptions = {}): Promise<RestorePoint[]> {
  const schema = workloadSchema(opts.database ?? 'wl');
  const ops = new WorkloadOps(schema, opts.seed ?? 1);
  const rounds = opts.rounds ?? 3;
  const perRound = opts.rowsPerRound ?? 400;
  const openRound = opts.openTransactionRound ?? 1;
  const openRows = opts.openTransactionRows ?? 500;
  const ddlRound = opts.ddlRound ?? 0;
  const points: RestorePoint[] = [];
  const pointOpts = { tables: pointTables(schema), countTables: permanentTables(schema) };
  const point = async (name: string, extra: Partial<RestorePoint> = {}): Promise<RestorePoint> => {
    const p = { ...(await takeRestorePoint(srv, name, pointOpts)), ...extra };
    points.push(p);
    await opts.onPoint?.(p);
    return p;
  };

  const startLsn = await srv.lsn();
  await srv.exec(createSchemaSql(schema));
  await point('initial');

  for (let round = 0; round < rounds; round++) {
    for (const t of schema.rowTables) {
      await srv.exec(ops.insertRows(t, perRound, round));
      await srv.exec(ops.updateRows(t, 0.2, round));
      await srv.exec(ops.deleteRows(t, 0.08, 0.03));
      await srv.exec(ops.rolledBack(t, round));
    }
    await srv.exec(ops.partitionRound(Math.ceil(perRound / 2)));
    await srv.exec(ops.blobRound(3, 10, Math.max(10, opts.blobMaxKB ?? 200), 8));
    await point(`round-${round}`);

    if (round === openRound) {
      const table = schema.rowTables[0]!;
      const session = srv.session();
      try {
        await session.exec('BEGIN');
        await session.exec(ops.openTrxInsert(table, openRows));
        // Committed work of another connection while the transaction is open.
        await srv.exec(ops.updateRows(schema.rowTables[1]!, 0.05, round));
        await point('open-trx', { openTransaction: { table, rows: openRows, firstId: OPEN_TRX_FIRST_ID } });
        await srv.exec(ops.updateRows(schema.rowTables[2]!, 0.05, round));
        await session.exec('COMMIT');
        ops.openTrxCommitted(table, openRows);
      } finally {
        await session.close();
      }
      await point('open-trx-committed');
    }

    if (round === ddlRound) {
      for (const step of ddlSteps(schema, ops.rng)) {
        await srv.exec(step.sql);
        await point(step.point);
      }
    }
  }

  const target = BigInt(Math.round((opts.volumeMB ?? 0) * 1024 * 1024));
  const every = BigInt(Math.round((opts.pointEveryMB ?? 4) * 1024 * 1024));
  let lastPoint = points[points.length - 1]!.lsn;
  for (let i = 0; (await srv.lsn()) - startLsn < target; i++) {
    await srv.exec(ops.blobRound(2, 700, 1100, 6));
    await srv.exec(ops.updateRows(schema.rowTables[i % 3]!, 0.05, rounds + i));
    if ((await srv.lsn()) - lastPoint >= every) lastPoint = (await point(`volume-${i}`)).lsn;
  }
  if ((await srv.lsn()) !== lastPoint) await point('final');
  return points;
}
