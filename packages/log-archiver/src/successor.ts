import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Lsn, openCircularLog } from '@ibarchive/parser';
import { type FileRandomAccess, fileRandomAccess } from './file.js';
import { findLogEnd, type ServerLog } from './server-log.js';

/** The file MariaDB writes during an online resize, renamed over ib_logfile0 when the resize completes. */
export const RESIZE_LOG_NAME = 'ib_logfile101';

/**
 * Holds the server's ib_logfile101 open while it exists. During an online
 * resize the server writes the log to ib_logfile0 and ib_logfile101, then
 * renames ib_logfile101 over ib_logfile0. If a second resize completes before
 * the archiver next looks at ib_logfile0, the first resize's file was
 * ib_logfile0 only in between and is gone by name; through the held
 * descriptor its log (the only copy of what the server wrote between the two
 * switches) can still be read.
 */
export class SuccessorWatch {
  private held: FileRandomAccess | undefined;
  private readonly path: string;

  constructor(private readonly logPath: string) {
    this.path = join(dirname(logPath), RESIZE_LOG_NAME);
  }

  /**
   * Called before each look at ib_logfile0 (`current`: the file followed). If
   * ib_logfile0 still names `current`: holds ib_logfile101 if it exists (a
   * resize in progress), else drops the held file (an abandoned resize). If
   * ib_logfile0 was replaced, keeps the held file for takeIntermediate().
   */
  async poll(current: FileRandomAccess): Promise<void> {
    const st0 = await stat(this.logPath).catch(() => undefined);
    if (!st0 || st0.ino !== current.ino || st0.dev !== current.dev || st0.size !== current.size) return;
    const st = await stat(this.path).catch(() => undefined);
    const h = this.held;
    if (h && st && h.ino === st.ino && h.dev === st.dev && h.size === st.size) return;
    if (h && !st) {
      // Renamed over ib_logfile0 since the first look: keep it.
      const again = await stat(this.logPath).catch(() => undefined);
      if (!again || again.ino !== current.ino || again.dev !== current.dev) return;
    }
    this.held = undefined;
    await h?.close();
    if (st) this.held = await fileRandomAccess(this.path, this.path, { reuseBuffers: 4 }).catch(() => undefined);
  }

  /**
   * After ib_logfile0 was replaced and the old file drained to `pos`: the held
   * file as a ServerLog if it is not what ib_logfile0 names now (`now`) and it
   * holds valid log beyond `pos` (the log of a resize that has since been
   * replaced again); else undefined. The held file is released either way.
   */
  async takeIntermediate(now: { ino: number; dev: number } | undefined, pos: Lsn): Promise<ServerLog | undefined> {
    const ra = this.held;
    this.held = undefined;
    if (!ra) return undefined;
    if (now && ra.ino === now.ino && ra.dev === now.dev) {
      await ra.close();
      return undefined;
    }
    try {
      const log = await openCircularLog(ra);
      const s: ServerLog = { path: this.logPath, ra, log };
      if (pos >= log.firstLsn && (await findLogEnd(s, pos)) > pos) return s;
    } catch {
      // Not a readable log (a resize abandoned before its header was written).
    }
    await ra.close();
    return undefined;
  }

  async close(): Promise<void> {
    await this.held?.close();
    this.held = undefined;
  }
}
