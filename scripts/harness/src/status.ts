import { HarnessError } from './errors.js';

/** LSN figures from the LOG section of SHOW ENGINE INNODB STATUS. */
export interface LogStatus {
  /** "Log sequence number": end of the log generated so far. */
  lsn: bigint;
  /** "Log flushed up to": end of the log durable on disk. */
  flushedLsn: bigint;
  /** "Pages flushed up to": oldest modification not yet written to data files. */
  pagesFlushedLsn: bigint;
  /** "Last checkpoint at". */
  checkpointLsn: bigint;
}

function field(text: string, label: string): bigint {
  const m = new RegExp(`^${label}\\s+(\\d+)`, 'm').exec(text);
  if (!m) throw new HarnessError(`no "${label}" in SHOW ENGINE INNODB STATUS`, text.slice(0, 3000));
  return BigInt(m[1]!);
}

/** Parses the LOG section of SHOW ENGINE INNODB STATUS text. */
export function parseLogStatus(text: string): LogStatus {
  return {
    lsn: field(text, 'Log sequence number'),
    flushedLsn: field(text, 'Log flushed up to'),
    pagesFlushedLsn: field(text, 'Pages flushed up to'),
    checkpointLsn: field(text, 'Last checkpoint at'),
  };
}
