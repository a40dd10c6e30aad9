/**
 * mariadb-backup's `xtrabackup_checkpoints` (10.11; newer releases name it
 * `mariadb_backup_checkpoints`): `key = value` lines, e.g.
 *
 *   backup_type = full-backuped
 *   from_lsn = 0
 *   to_lsn = 21745924
 *   last_lsn = 21746311
 *
 * `to_lsn` is the server's latest checkpoint at the end of the backup,
 * `last_lsn` the end of the copied log. `--prepare` sets `backup_type = log-applied`.
 */
export interface CheckpointsFile {
  /** File name the values came from (one of CHECKPOINTS_FILE_NAMES). */
  readonly name: string;
  readonly backupType: string;
  readonly fromLsn: bigint | undefined;
  readonly toLsn: bigint | undefined;
  readonly lastLsn: bigint | undefined;
  /** All lines as read, in order, to rewrite with one value changed. */
  readonly entries: ReadonlyArray<readonly [string, string]>;
}

/** Names mariadb-backup uses for the file, newest first. */
export const CHECKPOINTS_FILE_NAMES = ['mariadb_backup_checkpoints', 'xtrabackup_checkpoints'] as const;

function lsnValue(v: string | undefined): bigint | undefined {
  return v !== undefined && /^[0-9]+$/.test(v) ? BigInt(v) : undefined;
}

/** Parses the text of a checkpoints file. Unknown keys are kept. */
export function parseCheckpointsFile(name: string, text: string): CheckpointsFile {
  const entries: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) entries.push([m[1]!, m[2]!]);
  }
  const get = (k: string) => entries.find(([key]) => key === k)?.[1];
  return {
    name,
    backupType: get('backup_type') ?? '',
    fromLsn: lsnValue(get('from_lsn')),
    toLsn: lsnValue(get('to_lsn')),
    lastLsn: lsnValue(get('last_lsn')),
    entries,
  };
}

/** The file text with `key` set to `value` (appended when absent). */
export function formatCheckpointsFile(file: CheckpointsFile, changes: Record<string, string>): string {
  const out = file.entries.map(([k, v]) => [k, changes[k] ?? v] as const);
  for (const [k, v] of Object.entries(changes)) if (!out.some(([key]) => key === k)) out.push([k, v]);
  return out.map(([k, v]) => `${k} = ${v}\n`).join('');
}
