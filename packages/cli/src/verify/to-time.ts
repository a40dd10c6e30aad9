import { formatTime, openArchive, parseTimeSpec, resolveTime, type TimeResolution } from '@ibarchive/log-archiver';
import { formatLsn, type Lsn, UsageError } from '@ibarchive/parser';
import type { Output } from '../output.js';

/**
 * --to-time: parses the time (local time without a zone, ISO 8601 with Z or
 * an offset) and resolves it to an LSN from the archive's time samples
 * (those of segments whose header is sound: verify reports the others).
 */
export async function resolveToTime(archiveDir: string, text: string): Promise<TimeResolution> {
  const ms = parseTimeSpec(text, '--to-time');
  return resolveTime(await openArchive(archiveDir, { damagedHeaders: 'collect' }), ms);
}

/** One line: the mapping. */
export function describeResolution(r: TimeResolution): string {
  return (
    `--to-time ${formatTime(r.timeMs)} resolves to LSN ${formatLsn(r.lsn)}` +
    ` (archived by ${formatTime(r.before.timeMs)}${r.snapped ? `, snapped down from sample LSN ${formatLsn(r.before.lsn)} to an mtr end` : ''})`
  );
}

/** --explain: the bracketing samples and the uncertainty between them. */
export function explainResolution(r: TimeResolution): string[] {
  const lines = [
    `  sample at or before: ${formatTime(r.before.timeMs)}  LSN ${formatLsn(r.before.lsn)}`,
    r.after
      ? `  next sample after:   ${formatTime(r.after.timeMs)}  LSN ${formatLsn(r.after.lsn)}`
      : '  next sample after:   none (the time equals the newest sample)',
  ];
  if (r.after) {
    const secs = (r.after.timeMs - r.before.timeMs) / 1000;
    const bytes = r.after.lsn - r.before.lsn;
    lines.push(
      `  uncertainty: ${secs.toFixed(3)} s and ${formatLsn(bytes)} bytes of log between the two samples; changes in that log made at or ` +
        `before the requested time are not restored (the restore never includes a change made after it)`,
    );
  }
  lines.push('  times without a zone are local time (TZ); ISO 8601 with Z or +HH:MM is accepted');
  return lines;
}

/** JSON form of a resolution. */
export function resolutionJson(r: TimeResolution): object {
  return {
    time: new Date(r.timeMs).toISOString(),
    lsn: formatLsn(r.lsn),
    snapped: r.snapped,
    before: { time: new Date(r.before.timeMs).toISOString(), lsn: formatLsn(r.before.lsn) },
    after: r.after ? { time: new Date(r.after.timeMs).toISOString(), lsn: formatLsn(r.after.lsn) } : null,
    gapSeconds: r.after ? (r.after.timeMs - r.before.timeMs) / 1000 : null,
    gapBytes: r.after ? formatLsn(r.after.lsn - r.before.lsn) : null,
  };
}

/** prepare --to-time: the LSN to prepare to, with the mapping printed (stderr; a JSON event on stdout with --json). */
export async function prepareTimeTarget(
  io: Output,
  flags: { toTime?: string; toArchivedLsn?: string; archivedLogsDir?: string; explain?: boolean; json?: boolean },
): Promise<Lsn> {
  if (flags.toArchivedLsn !== undefined) throw new UsageError('prepare: give --to-archived-lsn or --to-time, not both');
  if (flags.archivedLogsDir === undefined) throw new UsageError('prepare: --to-time needs --archived-logs-dir (the archive holds the time samples)');
  const r = await resolveToTime(flags.archivedLogsDir, flags.toTime!);
  if (flags.json) {
    io.out(JSON.stringify({ event: 'to-time', ...resolutionJson(r) }));
  } else {
    io.err(describeResolution(r));
    if (flags.explain) for (const l of explainResolution(r)) io.err(l);
  }
  return r.lsn;
}
