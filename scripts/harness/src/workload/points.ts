import { HarnessError } from '../errors.js';
import type { Server } from '../server.js';

/** A state of the data that a point-in-time restore to `lsn` must reproduce exactly. */
export interface RestorePoint {
  name: string;
  /**
   * "Log sequence number" read before and after the checksums, unchanged in between, and already
   * written to ib_logfile0 ("Log flushed up to" >= lsn) when it was read.
   */
  lsn: bigint;
  /** CHECKSUM TABLE ... EXTENDED per table ('NULL' for a table that does not exist at this point). */
  checksums: Record<string, string>;
  /** COUNT(*) per permanent table, from the same quiet moment. */
  rowCounts: Record<string, number>;
  /** Set on the point taken while another session held uncommitted rows. */
  openTransaction?: { table: string; rows: number; firstId: number };
}

/** Options of {@link takeRestorePoint}. */
export interface PointOptions {
  /** Tables to checksum. */
  tables: string[];
  /** Tables to count rows of (must exist). */
  countTables: string[];
  /** Attempts before giving up when background work keeps moving the LSN (default 100). */
  attempts?: number;
}

/**
 * Records a restore point while no client writes are in flight: reads the LSN, checksums and
 * counts, reads the LSN again, and retries until both LSN readings agree (background purge and
 * checkpoints also write redo), so the figures belong to exactly that LSN. Also requires the log
 * to be written up to that LSN (issuing FLUSH ENGINE LOGS otherwise), so that a copy or archive of
 * ib_logfile0 taken afterwards contains it.
 */
export async function takeRestorePoint(srv: Server, name: string, opts: PointOptions): Promise<RestorePoint> {
  const attempts = opts.attempts ?? 100;
  const countSql = opts.countTables.map((t) => `SELECT COUNT(*) FROM ${t}`).join(';\n');
  let lastSeen = '';
  for (let i = 0; i < attempts; i++) {
    const before = await srv.lsn();
    const checksums = await srv.checksums(opts.tables);
    const counts = countSql ? await srv.query(countSql) : [];
    const status = await srv.logStatus();
    const after = status.lsn;
    if (before === after && status.flushedLsn < after) {
      await srv.exec('FLUSH ENGINE LOGS');
      lastSeen = `flushed ${status.flushedLsn} < ${after}`;
      continue;
    }
    if (before === after) {
      const rowCounts: Record<string, number> = {};
      opts.countTables.forEach((t, j) => (rowCounts[t] = Number(counts[j]![0])));
      return { name, lsn: after, checksums, rowCounts };
    }
    lastSeen = `${before} -> ${after}`;
    await new Promise((r) => setTimeout(r, 20 + 10 * i));
  }
  throw new HarnessError(`restore point "${name}": LSN kept moving over ${attempts} attempts (last ${lastSeen})`);
}
