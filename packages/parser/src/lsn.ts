/**
 * LSNs are 64-bit byte positions in the logical redo stream; they are `bigint`
 * everywhere in ibarchive and printed by this one formatter (decimal, as the
 * server prints them in `SHOW ENGINE INNODB STATUS` and its error log).
 */
export type Lsn = bigint;

/** Formats an LSN the way every ibarchive message does: plain decimal. */
export function formatLsn(lsn: Lsn): string {
  return lsn.toString(10);
}

/** Formats a file offset as hex with a 0x prefix, as in error messages. */
export function formatOffset(offset: number | bigint): string {
  return '0x' + offset.toString(16);
}

/**
 * Parses an LSN given by a user or read from a file (decimal, or hex with 0x).
 * Returns undefined when the text is not a non-negative 64-bit integer.
 */
export function parseLsn(text: string): Lsn | undefined {
  const t = text.trim();
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(t)) return undefined;
  const v = BigInt(t);
  return v < 0n || v > 0xffff_ffff_ffff_ffffn ? undefined : v;
}
