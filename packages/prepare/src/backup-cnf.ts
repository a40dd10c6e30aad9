/**
 * `backup.cnf` written by MariaDB's server-side BACKUP SERVER (main branch,
 * redo-format.md section 11): an option file whose `innodb_log_recovery_start`
 * is the LSN recovery must start at, and `innodb_log_recovery_target` the end
 * LSN of the copy (the first LSN at which the copied data files are consistent).
 *
 *   [mariadbd]
 *   innodb_log_recovery_start=21745924
 *   innodb_log_recovery_target=21746311
 *   # checkpoint=21745800
 */
export interface BackupCnf {
  readonly recoveryStart: bigint | undefined;
  readonly recoveryTarget: bigint | undefined;
}

/** Parses option-file text; keys may use `-` or `_`, and the `loose-` prefix. */
export function parseBackupCnf(text: string): BackupCnf {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const m = /^([A-Za-z0-9_-]+)\s*=\s*("?)([^"#]*)\2/.exec(line);
    if (!m) continue;
    values.set(m[1]!.replace(/-/g, '_').replace(/^loose_/, ''), m[3]!.trim());
  }
  const lsn = (k: string) => {
    const v = values.get(k);
    return v !== undefined && /^[0-9]+$/.test(v) ? BigInt(v) : undefined;
  };
  return { recoveryStart: lsn('innodb_log_recovery_start'), recoveryTarget: lsn('innodb_log_recovery_target') };
}
