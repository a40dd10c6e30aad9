import { binaries } from './binaries.js';
import { runOk } from './run.js';

/** What mariadb-backup printed (it reports progress and the LSNs on stderr). */
export interface BackupResult {
  log: string;
}

/** Takes a full mariadb-backup backup of the server at `socket` into `targetDir`. */
export async function backupServer(socket: string, datadir: string, targetDir: string, extraArgs: string[] = []): Promise<BackupResult> {
  const res = await runOk(
    binaries().backup,
    ['--no-defaults', '--backup', `--target-dir=${targetDir}`, `--socket=${socket}`, '--user=root', `--datadir=${datadir}`, ...extraArgs],
    { timeoutMs: 600_000 },
  );
  return { log: res.stderr };
}

/** Runs `mariadb-backup --prepare` on a backup directory (the reference implementation to compare against). */
export async function prepareWithMariadbBackup(targetDir: string, extraArgs: string[] = []): Promise<BackupResult> {
  const res = await runOk(binaries().backup, ['--no-defaults', '--prepare', `--target-dir=${targetDir}`, ...extraArgs], {
    timeoutMs: 600_000,
  });
  return { log: res.stderr };
}
