import { existsSync } from 'node:fs';

/** Paths of the MariaDB programs; each can be overridden by an environment variable. */
export interface Binaries {
  mariadbd: string;
  installDb: string;
  client: string;
  backup: string;
}

function pick(envName: string, candidates: string[]): string {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  return candidates.find((c) => existsSync(c)) ?? candidates[candidates.length - 1]!;
}

/** Resolves the MariaDB binaries (Debian locations first). */
export function binaries(): Binaries {
  return {
    mariadbd: pick('IBARCHIVE_MARIADBD', ['/usr/sbin/mariadbd', '/usr/bin/mariadbd', 'mariadbd']),
    installDb: pick('IBARCHIVE_MARIADB_INSTALL_DB', ['/usr/bin/mariadb-install-db', 'mariadb-install-db']),
    client: pick('IBARCHIVE_MARIADB_CLIENT', ['/usr/bin/mariadb', 'mariadb']),
    backup: pick('IBARCHIVE_MARIADB_BACKUP', ['/usr/bin/mariadb-backup', 'mariadb-backup']),
  };
}
