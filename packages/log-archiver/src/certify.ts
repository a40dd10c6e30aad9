import { type Lsn, MTR_SIZE_MAX } from '@ibarchive/parser';

/**
 * Overrun certification: were bytes read from the circular log still the
 * bytes of their LSN when they were read, or had the server already written
 * the next lap over them?
 *
 * The server writes LSN y at the file offset of y − capacity, sequentially,
 * in write blocks (up to 4 KiB here; garbage after its last byte up to the
 * block end). Old LSN x is destroyed once the server's write position W
 * reaches x + capacity − block. Two facts bound W from above at any time
 * before the moment S at which the checkpoint blocks are re-read (always
 * after the data was read):
 *
 *  A. The server never writes beyond its durable checkpoint + capacity (a
 *     checkpoint LSN must stay in the ring for recovery), so W < C_S +
 *     capacity: every x ≥ C_S was intact. (redo-format.md section 8.)
 *  B. If the read reached the end of the valid log at e (the next mtr failed
 *     validation) after reading the data, then at that moment W had not
 *     passed e plus one in-flight mtr and write block — provided the failure
 *     at e means "not written yet" and not "already overwritten by the next
 *     lap". The server keeps W − C below log_capacity = 90% of the ring
 *     ("Crash recovery is broken due to insufficient innodb_log_file_size"
 *     otherwise), so an overwrite at e needs C_S > e + capacity/10 − block;
 *     below that, every x ≥ e + SLACK − capacity was intact.
 *
 * Data at x is certified when x ≥ min(floor A, floor B). Anything below is no
 * longer guaranteed (even if its CRC and sequence bit look right) and becomes
 * a gap.
 */

/** Largest write block the server writes (bytes after its write position are block padding). */
export const WRITE_BLOCK_SLACK = 64 * 1024;
/** An in-flight mtr plus a write block. */
export const END_SLACK = BigInt(MTR_SIZE_MAX + 64 + WRITE_BLOCK_SLACK);

export interface CertifyInput {
  /** Newest valid checkpoint LSN read after the data. */
  checkpointLsn: Lsn;
  /** Ring size (file size − 12288). */
  capacity: number;
  /** End of the valid log observed after the data was read, if the read went that far. */
  observedEnd: Lsn | undefined;
}

/** Lowest LSN whose bytes, read before the checkpoint re-read, are guaranteed to be the original ones. */
export function certifiedFloor(inp: CertifyInput): Lsn {
  const cap = BigInt(inp.capacity);
  const floorA = inp.checkpointLsn;
  if (inp.observedEnd === undefined) return floorA;
  const e = inp.observedEnd;
  const endIsUnwritten = inp.checkpointLsn + BigInt(WRITE_BLOCK_SLACK) < e + cap / 10n;
  if (!endIsUnwritten) return floorA;
  const floorB = e + END_SLACK - cap;
  return floorB < floorA ? floorB : floorA;
}

/**
 * Where archiving resumes after an overrun: the smallest valid checkpoint LSN
 * that is certified (≥ floor), so that recovery from there is valid (its
 * FILE_CHECKPOINT mtr follows it in the ring). Undefined if none is.
 */
export function oldestCertifiedCheckpoint(checkpoints: Lsn[], floor: Lsn): Lsn | undefined {
  let best: Lsn | undefined;
  for (const c of checkpoints) if (c >= floor && (best === undefined || c < best)) best = c;
  return best;
}
