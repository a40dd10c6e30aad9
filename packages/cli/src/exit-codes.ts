import { IbarchiveError, type ErrorClass } from '@ibarchive/parser';

/**
 * Process exit codes, documented in `ibarchive --help` and the README.
 * 0 success; 1 a check found problems (verify) or an unexpected failure;
 * 2 bad usage; 3 bad input (path, foreign or unsupported format);
 * 4 corrupt data; 5 log gap; 6 refused by a safety check (nothing changed).
 */
export const EXIT = {
  ok: 0,
  problems: 1,
  usage: 2,
  input: 3,
  corrupt: 4,
  gap: 5,
  refused: 6,
  internal: 70,
} as const;

const byClass: Record<ErrorClass, number> = {
  usage: EXIT.usage,
  input: EXIT.input,
  corrupt: EXIT.corrupt,
  gap: EXIT.gap,
  refused: EXIT.refused,
  internal: EXIT.internal,
};

/** Maps any thrown value to a one-line message and an exit code. */
export function classifyError(err: unknown): { message: string; code: number } {
  if (err instanceof IbarchiveError) return { message: err.message, code: byClass[err.errorClass] };
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && 'path' in e) {
    const what = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EACCES' ? 'permission denied' : e.code;
    return { message: `${what}: ${String(e.path)}`, code: EXIT.input };
  }
  const msg = err instanceof Error ? err.message : String(err);
  return { message: `internal error: ${msg.split('\n')[0]}`, code: EXIT.internal };
}

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  a check found problems (verify, status), or the command failed
  2  bad usage (unknown flag, missing or malformed value)
  3  bad input (missing path, not a MariaDB 10.8+ redo log, unsupported format)
  4  corrupt data (checksum mismatch, malformed record), with LSN, file and offset
  5  log gap: the log needed is not in the archive (overrun, missing segment)
  6  refused by a safety check; nothing was changed`;
