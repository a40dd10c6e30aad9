import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeEmptyLog,
  formatLsn,
  InputError,
  parseCheckpoints,
  parseLogHeader,
  RefusedError,
  START_OFFSET,
  type Lsn,
} from '@ibarchive/parser';
import { parseBackupCnf } from './backup-cnf.js';
import { CHECKPOINTS_FILE_NAMES, parseCheckpointsFile, type CheckpointsFile } from './checkpoints-file.js';
import { readState, type PrepareState } from './state.js';

/** Hard link to the backup's own log, kept until a prepare is done so that a re-run can read it. */
export const BASE_LOG_COPY = 'ibarchive_base_logfile0';

/** Where a prepare of the target directory starts, and why. */
export interface BaseInfo {
  /**
   * `mariadb-backup`: a `--backup` directory; `backup-server`: a `backup.cnf`
   * naming innodb_log_recovery_start; `continue`: a directory we prepared
   * before (state file `done`); `resume`: a prepare of ours was interrupted.
   */
  readonly kind: 'mariadb-backup' | 'backup-server' | 'continue' | 'resume';
  /** LSN the log must be applied from. */
  readonly startLsn: Lsn;
  /** Pages of the base may be as new as this LSN: a target below it needs a page scan. */
  readonly baseEndLsn: Lsn | undefined;
  /** Lowest target that can be consistent (mariadb-backup: its to_lsn; resume: the interrupted target). */
  readonly minTargetLsn: Lsn;
  readonly checkpoints: CheckpointsFile | undefined;
  readonly state: PrepareState | undefined;
  /** Names of files of the directory that hold log to read ([] when only the archive can help). */
  readonly ownLogs: string[];
}

async function readOpt(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function readHead(path: string, n: number): Promise<{ bytes: Uint8Array; size: number } | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const { size } = await fh.stat();
    const bytes = new Uint8Array(Math.min(n, size));
    await fh.read(bytes, 0, bytes.length, 0);
    return { bytes, size };
  } finally {
    await fh.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Checkpoint of a log file's header: the LSN recovery from it starts at. */
async function logCheckpoint(path: string): Promise<Lsn> {
  const head = await readHead(path, START_OFFSET);
  if (!head) throw new InputError(`no ib_logfile0 in ${path.replace(/\/[^/]*$/, '')}`);
  const header = parseLogHeader(head.bytes, path);
  return parseCheckpoints(head.bytes, header, path).latest.checkpointLsn;
}

async function readCheckpointsFile(dir: string): Promise<CheckpointsFile | undefined> {
  for (const name of CHECKPOINTS_FILE_NAMES) {
    const text = await readOpt(join(dir, name));
    if (text !== undefined) return parseCheckpointsFile(name, text);
  }
  return undefined;
}

/**
 * Decides where the log must be applied from (redo-format.md 6.1, 7.2). Never
 * starts after the base's checkpoint: that would skip changes the data files
 * lack. Refuses a directory a server has run on since our last prepare.
 */
export async function inspectBase(dir: string): Promise<BaseInfo> {
  const state = await readState(dir);
  const checkpoints = await readCheckpointsFile(dir);
  if (state?.status === 'done') {
    const reached = BigInt(state.reachedLsn);
    const log = await readHead(join(dir, 'ib_logfile0'), 1 << 20);
    const expected = encodeEmptyLog(reached);
    const same = log !== undefined && log.size === expected.length && Buffer.from(log.bytes).equals(Buffer.from(expected));
    if (!same) {
      throw new RefusedError(
        `${dir} was prepared to LSN ${formatLsn(reached)}, but its ib_logfile0 is no longer the log ibarchive wrote ` +
          `(${log ? `${log.size} bytes` : 'missing'}): a server was started on it since, so it cannot be rolled forward`,
      );
    }
    return {
      kind: 'continue',
      startLsn: reached,
      baseEndLsn: reached,
      minTargetLsn: reached,
      checkpoints,
      state,
      ownLogs: [],
    };
  }
  if (state?.status === 'in-progress') {
    const own = (await exists(join(dir, BASE_LOG_COPY))) ? [BASE_LOG_COPY] : [];
    return {
      kind: 'resume',
      startLsn: BigInt(state.startLsn),
      baseEndLsn: BigInt(state.targetLsn),
      minTargetLsn: BigInt(state.targetLsn),
      checkpoints,
      state,
      ownLogs: own,
    };
  }
  const cnf = await readOpt(join(dir, 'backup.cnf'));
  if (cnf !== undefined) {
    const b = parseBackupCnf(cnf);
    if (b.recoveryStart === undefined) throw new InputError(`${join(dir, 'backup.cnf')} names no innodb_log_recovery_start`);
    return {
      kind: 'backup-server',
      startLsn: b.recoveryStart,
      baseEndLsn: b.recoveryTarget,
      minTargetLsn: b.recoveryTarget ?? b.recoveryStart,
      checkpoints,
      state,
      ownLogs: [],
    };
  }
  if (!checkpoints) {
    throw new InputError(`${dir} is not a mariadb-backup directory (no xtrabackup_checkpoints) nor a BACKUP SERVER copy (no backup.cnf)`);
  }
  if (checkpoints.backupType === 'log-applied') {
    throw new RefusedError(`${dir} was already prepared (${checkpoints.name}: backup_type = log-applied)`);
  }
  if (checkpoints.backupType !== 'full-backuped') {
    throw new RefusedError(`${dir} is a ${checkpoints.backupType || 'unknown'} backup; only full backups can be prepared`);
  }
  const startLsn = await logCheckpoint(join(dir, 'ib_logfile0'));
  return {
    kind: 'mariadb-backup',
    startLsn,
    baseEndLsn: checkpoints.lastLsn,
    minTargetLsn: startLsn,
    checkpoints,
    state,
    ownLogs: ['ib_logfile0'],
  };
}
