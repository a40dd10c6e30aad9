/** One JSON line with LSNs (bigint) as decimal strings, as every ibarchive --json output prints them. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(10) : v));
}

/** Bytes as MiB with one decimal. */
export function mib(n: number | bigint): string {
  return `${(Number(n) / 1048576).toFixed(1)} MiB`;
}
