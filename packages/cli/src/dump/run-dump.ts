import { type OpenedLog, openLogPath } from '@ibarchive/log-archiver';
import {
  type CircularLog,
  CorruptLogError,
  EXTENDED,
  formatLsn,
  type Lsn,
  readMtrBatches,
  RecordReader,
  recordName,
  recordTypeInfo,
  validateExtended,
} from '@ibarchive/parser';
import { DumpStats, type DumpSummary } from './stats.js';

/**
 * Where a complete log must end: an archive or segment at the end of its
 * archived range; a mariadb-backup log (not padded, never wrapped) at the
 * last byte of its file. Server logs: unknown (found by decoding).
 */
function expectedEndLsn(opened: OpenedLog): Lsn | undefined {
  if (opened.endLsn !== undefined) return opened.endLsn;
  if ((opened.kind === 'backup-dir' || opened.kind === 'backup-log') && opened.header) {
    const log = opened.source as CircularLog;
    return opened.header.firstLsn + BigInt(log.capacity);
  }
  return undefined;
}

/** Typed options of `ibarchive dump`. */
export interface DumpOptions {
  path: string;
  fromLsn?: Lsn | undefined;
  toLsn?: Lsn | undefined;
  space?: number | undefined;
  page?: number | undefined;
  /** Record names to keep: RECORD_TYPES names or EXTENDED subtype names. */
  types?: ReadonlySet<string> | undefined;
  pageSize: number;
}

/** Called once per record that passes the filters, with the reader positioned on it. */
export type RecordSink = (r: RecordReader) => void;

export interface DumpResult {
  /** One line naming what was opened. */
  describe: string;
  summary: DumpSummary;
  stats: DumpStats;
  checkpointLsn: Lsn | undefined;
}

/**
 * Decodes the log at `options.path` from the checkpoint (or --from-lsn) to its
 * end, validating every record (EXTENDED payloads included), and hands the
 * records that pass the filters to `sink`.
 */
export async function runDump(
  options: DumpOptions,
  sink: RecordSink | undefined,
  onOpen?: (describe: string) => void,
): Promise<DumpResult> {
  const opened = await openLogPath(options.path);
  try {
    onOpen?.(opened.describe);
    const source = opened.source;
    const fromLsn = options.fromLsn ?? opened.startLsn;
    const reader = new RecordReader({ pageSize: options.pageSize, source });
    const stats = new DumpStats();
    const { space, page, types } = options;
    let firstLsn: Lsn | undefined;
    let lastLsn: Lsn | undefined;
    let mtrs = 0;
    let mtrBytes = 0;
    let summary: DumpSummary | undefined;
    for await (const b of readMtrBatches(source, fromLsn, { toLsn: options.toLsn, worker: true, reuseWindows: true, batchBytes: 1 << 20 })) {
      if (b.kind === 'end') {
        summary = {
          kind: opened.kind,
          fromLsn,
          firstLsn,
          lastLsn,
          endLsn: b.endLsn,
          endReason: b.reason,
          endFile: b.file,
          endOffset: b.offset,
          mtrs,
          mtrBytes,
        };
        break;
      }
      const { bytes, starts, recordsEnds, ends } = b;
      for (let i = 0; i < b.count; i++) {
        const start = starts[i]!;
        const mtrLsn = b.lsn + BigInt(start);
        firstLsn ??= mtrLsn;
        lastLsn = mtrLsn;
        mtrs++;
        mtrBytes += ends[i]! - start;
        reader.reset(bytes, start, recordsEnds[i]!, mtrLsn, b.lsn + BigInt(ends[i]!));
        while (reader.next()) {
          if (reader.type === EXTENDED) {
            validateExtended(reader.subtype, bytes, reader.dataStart, reader.dataEnd, reader.position());
          }
          if (space !== undefined && (reader.isFileRecord ? reader.spaceId !== space : reader.spaceId !== space)) continue;
          if (page !== undefined && (reader.isFileRecord || reader.pageNo !== page)) continue;
          if (types && !types.has(recordName(reader.type, reader.subtype)) && !types.has(recordTypeInfo(reader.type).name)) continue;
          stats.add(reader);
          sink?.(reader);
        }
      }
    }
    if (!summary) throw new Error('log reader ended without an end result');
    const cp = opened.checkpoint;
    if (cp && options.fromLsn === undefined && options.toLsn === undefined && summary.endLsn < cp.endLsn) {
      throw new CorruptLogError(
        `log ends before the FILE_CHECKPOINT of its latest checkpoint (LSN ${formatLsn(cp.endLsn)})`,
        { lsn: summary.endLsn, file: summary.endFile, offset: summary.endOffset },
      );
    }
    const expectedEnd = expectedEndLsn(opened);
    if (expectedEnd !== undefined && options.toLsn === undefined && summary.endLsn < expectedEnd) {
      throw new CorruptLogError(
        `log ends ${formatLsn(expectedEnd - summary.endLsn)} bytes before the end of what ${opened.kind === 'archive' || opened.kind === 'segment' ? 'was archived' : 'the backup log holds'} (LSN ${formatLsn(expectedEnd)})`,
        { lsn: summary.endLsn, file: summary.endFile, offset: summary.endOffset },
      );
    }
    return { describe: opened.describe, summary, stats, checkpointLsn: cp?.checkpointLsn };
  } finally {
    await opened.close();
  }
}
