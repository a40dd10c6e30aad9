/** Default mariadbd options of harness servers: small and quick to start, unless overridden. */
export const DEFAULT_MARIADBD_OPTIONS: readonly string[] = [
  '--innodb-log-file-size=32M',
  '--innodb-buffer-pool-size=64M',
  '--skip-log-bin',
  '--skip-name-resolve',
  '--max-connections=50',
  '--performance-schema=OFF',
  '--loose-feedback=OFF',
];

function optionName(opt: string): string {
  const eq = opt.indexOf('=');
  return (eq < 0 ? opt : opt.slice(0, eq)).replace(/_/g, '-');
}

/** Concatenates option lists keeping only the last occurrence of each option name, in order. */
export function mergeOptions(...lists: ReadonlyArray<readonly string[]>): string[] {
  const byName = new Map<string, string>();
  for (const list of lists) {
    for (const o of list) {
      const n = optionName(o);
      byName.delete(n);
      byName.set(n, o);
    }
  }
  return [...byName.values()];
}
