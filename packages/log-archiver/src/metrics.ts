import type { ArchiveStatus } from './status.js';
import { writeAtomic } from './status.js';

/**
 * Prometheus text exposition format (version 0.0.4) of an archive's status,
 * for node_exporter's textfile collector: write it to a `*.prom` file in the
 * collector's directory. Every series carries the label `archive` (the
 * directory). LSNs are exported as gauges (exact below 2^53).
 */

interface Metric {
  name: string;
  help: string;
  value: number | undefined;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Formats the metrics of `s` (generated at `nowMs`). */
export function formatMetrics(s: ArchiveStatus, nowMs: number): string {
  const a = s.archiver;
  const f = a.file;
  const sec = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
  const gapBytes = s.gaps.reduce((n, g) => n + Number(g.to - g.from), 0);
  const metrics: Metric[] = [
    { name: 'ibarchive_archive_start_lsn', help: 'First LSN the archive holds (after expire: the first remaining file).', value: Number(s.startLsn) },
    { name: 'ibarchive_archive_end_lsn', help: 'LSN up to which the archive holds log (exclusive).', value: Number(s.endLsn) },
    { name: 'ibarchive_window_start_lsn', help: 'Start of the contiguous range reaching the archive end.', value: Number(s.window.fromLsn) },
    { name: 'ibarchive_window_start_timestamp_seconds', help: 'Earliest time sample in that range (Unix time).', value: sec(s.window.fromTimeMs) },
    { name: 'ibarchive_window_end_timestamp_seconds', help: 'Latest time sample in that range (Unix time): restore by time is possible up to here.', value: sec(s.window.toTimeMs) },
    { name: 'ibarchive_last_archived_timestamp_seconds', help: 'Newest time sample of any segment (Unix time).', value: sec(s.lastArchivedTimeMs) },
    { name: 'ibarchive_segments', help: 'Segment files.', value: s.segments },
    { name: 'ibarchive_stored_bytes', help: 'Bytes of segment files (headers and compressed payload).', value: s.storedBytes },
    { name: 'ibarchive_log_bytes', help: 'Log bytes archived (sum of segment LSN ranges).', value: Number(s.logBytes) },
    { name: 'ibarchive_compression_ratio', help: 'log bytes / stored bytes.', value: s.compressionRatio },
    { name: 'ibarchive_gaps', help: 'Ranges of log missing from the archive (recorded overruns and missing files).', value: s.gaps.length },
    { name: 'ibarchive_gap_bytes', help: 'Log bytes missing from the archive.', value: gapBytes },
    { name: 'ibarchive_archiver_up', help: '1 if an archiver is running and its status is fresh, else 0.', value: a.state === 'running' ? 1 : 0 },
    { name: 'ibarchive_archiver_status_age_seconds', help: 'Age of the archiver status file.', value: a.ageSeconds },
    { name: 'ibarchive_archiver_lag_bytes', help: 'Log the server wrote that is not yet durable in the archive.', value: f?.lagBytes === undefined ? undefined : Number(f.lagBytes) },
    { name: 'ibarchive_archiver_lag_seconds', help: 'Age of the oldest log not yet durable in the archive.', value: f?.lagSeconds },
    { name: 'ibarchive_archiver_headroom_bytes', help: 'Log the server may still write before it overwrites unarchived log.', value: f?.headroom === undefined ? undefined : Number(f.headroom) },
    { name: 'ibarchive_archiver_log_capacity_bytes', help: 'Capacity of the server log ring being archived.', value: f?.capacity },
    { name: 'ibarchive_metrics_generated_timestamp_seconds', help: 'When this file was written (Unix time).', value: nowMs / 1000 },
  ];
  const label = `{archive="${escapeLabel(s.dir)}"}`;
  const lines: string[] = [];
  for (const m of metrics) {
    if (m.value === undefined || !Number.isFinite(m.value)) continue;
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} gauge`, `${m.name}${label} ${m.value}`);
  }
  return lines.join('\n') + '\n';
}

/** Writes the metrics file atomically (temp file in the same directory, then rename), as the textfile collector requires. */
export async function writeMetricsFile(path: string, s: ArchiveStatus, nowMs: number): Promise<void> {
  await writeAtomic(path, formatMetrics(s, nowMs));
}
