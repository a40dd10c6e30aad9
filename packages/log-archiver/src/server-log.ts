import { stat } from 'node:fs/promises';
import {
  CHECKPOINT_2,
  CHECKPOINT_SIZE,
  type CircularLog,
  type Lsn,
  openCircularLog,
  parseCheckpoints,
  readMtrBatches,
} from '@ibarchive/parser';
import { type FileRandomAccess, fileRandomAccess } from './file.js';

/** The server's ib_logfile0 opened for tailing, with the identity of the file it was opened on. */
export interface ServerLog {
  path: string;
  ra: FileRandomAccess;
  log: CircularLog;
}

/** Opens the server log at `path`. */
export async function openServerLog(path: string): Promise<ServerLog> {
  // Every read is consumed before the next few (the parser's ring read joins at most two).
  const ra = await fileRandomAccess(path, path, { reuseBuffers: 4 });
  try {
    return { path, ra, log: await openCircularLog(ra) };
  } catch (e) {
    await ra.close();
    throw e;
  }
}

/**
 * True if `path` no longer names the file that is open (the server re-created
 * or resized its log: new inode, or a different size) — or names nothing.
 */
export async function logFileReplaced(s: ServerLog): Promise<boolean> {
  try {
    const st = await stat(s.path);
    return st.ino !== s.ra.ino || st.dev !== s.ra.dev || st.size !== s.ra.size;
  } catch {
    return true;
  }
}

/** Re-reads both checkpoint blocks now; returns the valid checkpoint LSNs and the latest. */
export async function rereadCheckpoints(s: ServerLog): Promise<{ latest: Lsn; all: Lsn[]; latestEnd: Lsn }> {
  const head = await s.ra.read(0, CHECKPOINT_2 + CHECKPOINT_SIZE);
  const cps = parseCheckpoints(head, s.log.header, s.path);
  return { latest: cps.latest.checkpointLsn, all: cps.valid.map((c) => c.checkpointLsn), latestEnd: cps.latest.endLsn };
}

/**
 * Scans from `from` to the end of the valid log without keeping the bytes;
 * returns the end LSN (the server's write position as seen now). Corruption
 * in the middle of the log at the live tail is treated as the end (the
 * server may be writing it).
 */
export async function findLogEnd(s: ServerLog, from: Lsn): Promise<Lsn> {
  let end = from;
  try {
    for await (const r of readMtrBatches(s.log, from, { batchBytes: 8 << 20 })) {
      if (r.kind === 'end') return r.endLsn;
      end = r.lsn + BigInt(r.ends[r.count - 1]!);
    }
  } catch {
    return end;
  }
  return end;
}
