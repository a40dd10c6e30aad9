import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  type Checkpoint,
  formatLsn,
  InputError,
  IbarchiveError,
  type LogHeader,
  type LogSource,
  type Lsn,
  openCircularLog,
} from '@ibarchive/parser';
import { fileRandomAccess } from './file.js';
import { openArchiveSource, openSegmentSource, looksLikeArchiveDir, looksLikeSegment } from './open-archive.js';

/**
 * What a user-supplied path names. `server-log`: a server's ib_logfile0 (or
 * a data directory holding one); `backup-log`: the ib_logfile0 written by
 * mariadb-backup (creator "Backup ..."); `backup-dir`: a mariadb-backup
 * target directory; `archive`: an ibarchive archive directory; `segment`:
 * one archived segment file.
 */
export type LogPathKind = 'server-log' | 'backup-log' | 'backup-dir' | 'archive' | 'segment';

/** A log opened for decoding. */
export interface OpenedLog {
  kind: LogPathKind;
  source: LogSource;
  /** Where decoding starts: the latest checkpoint of a log file, the first archived LSN of an archive or segment. */
  startLsn: Lsn;
  /** End of the archived range (archive, segment); undefined for log files, whose end is found by decoding. */
  endLsn?: Lsn | undefined;
  header?: LogHeader | undefined;
  checkpoint?: Checkpoint | undefined;
  /** One line naming what was opened, e.g. `server log /d/ib_logfile0 (MariaDB 10.11.19, first_lsn 44404, capacity 100663296, checkpoint 44420)`. */
  describe: string;
  close(): Promise<void>;
}

const BACKUP_MARKERS = ['xtrabackup_checkpoints', 'mariadb_backup_checkpoints'];

/**
 * Opens what `path` names (see LogPathKind). A wrong path or a file that is
 * not a redo log, a segment or an archive throws a one-line InputError (or the
 * parser's UnsupportedFormatError naming a foreign format).
 */
/** Options of openLogPath. */
export interface OpenLogPathOptions {
  /**
   * For a log file: read into this many buffers in turn (see fileRandomAccess),
   * for a reader that consumes each read before it makes the next but N - 1.
   */
  readonly reuseBuffers?: number | undefined;
}

export async function openLogPath(path: string, options: OpenLogPathOptions = {}): Promise<OpenedLog> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${code === 'ENOENT' ? 'no such file or directory' : `cannot open (${code})`}: ${path}`);
  }
  if (st.isDirectory()) return openDirectory(path, options);
  if (!st.isFile()) throw new InputError(`not a regular file or directory: ${path}`);
  if (await looksLikeSegment(path)) return openSegmentSource(path);
  return openLogFile(path, undefined, options);
}

async function openDirectory(dir: string, options: OpenLogPathOptions): Promise<OpenedLog> {
  const names = new Set(await readdir(dir));
  if (await looksLikeArchiveDir(dir, names)) return openArchiveSource(dir);
  if (names.has('ib_logfile0')) {
    const marker = BACKUP_MARKERS.find((m) => names.has(m));
    return openLogFile(join(dir, 'ib_logfile0'), marker ? 'backup-dir' : undefined, options);
  }
  throw new InputError(
    `${dir} is neither a data directory, a mariadb-backup directory nor an ibarchive archive (no ib_logfile0, no segments)`,
  );
}

async function openLogFile(path: string, kindHint: LogPathKind | undefined, options: OpenLogPathOptions = {}): Promise<OpenedLog> {
  const ra = await fileRandomAccess(path, path, { reuseBuffers: options.reuseBuffers });
  try {
    const log = await openCircularLog(ra);
    const backupMade = log.header.creator.startsWith('Backup ');
    const kind: LogPathKind = kindHint ?? (backupMade ? 'backup-log' : 'server-log');
    const cp = log.checkpoints.latest;
    const what = kind === 'server-log' ? 'server log' : kind === 'backup-dir' ? 'mariadb-backup log' : 'mariadb-backup log';
    const describe =
      `${what} ${path} (${log.header.creator}, first_lsn ${formatLsn(log.header.firstLsn)}, ` +
      `capacity ${log.capacity}, checkpoint ${formatLsn(cp.checkpointLsn)} at ${formatLsn(cp.endLsn)})`;
    return {
      kind,
      source: log,
      startLsn: cp.checkpointLsn,
      header: log.header,
      checkpoint: cp,
      describe,
      close: () => ra.close(),
    };
  } catch (e) {
    await ra.close();
    if (e instanceof IbarchiveError && e.errorClass === 'input') {
      if (e.message.includes(basename(path)) || e.message.includes(path)) throw e;
    }
    throw e;
  }
}
