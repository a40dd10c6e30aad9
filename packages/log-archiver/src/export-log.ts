import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  CHECKPOINT_1,
  encodeCheckpointBlock,
  encodeLogHeader,
  FILE_CHECKPOINT,
  formatLsn,
  LogGapError,
  type Lsn,
  readMtrBatches,
  RecordReader,
  RefusedError,
  START_OFFSET,
  UsageError,
} from '@ibarchive/parser';
import { openArchive } from './archive-reader.js';
import { syncDir, TEMP_PREFIX } from './durable.js';

export interface ExportLogOptions {
  archiveDir: string;
  /** A checkpoint LSN whose FILE_CHECKPOINT mtr lies in [fromLsn, toLsn). */
  fromLsn: Lsn;
  /** An mtr boundary: the exported log ends exactly here. */
  toLsn: Lsn;
  out: string;
  /** Creator string of the written header (default "Backup 10.11.19", as mariadb-backup writes). */
  creator?: string | undefined;
}

export interface ExportLogResult {
  fromLsn: Lsn;
  toLsn: Lsn;
  /** LSN of the mtr holding FILE_CHECKPOINT(fromLsn): the checkpoint block's end_lsn. */
  checkpointEndLsn: Lsn;
  bytes: number;
}

/**
 * Writes the archived range [fromLsn, toLsn) as a log in mariadb-backup's
 * backup-log layout (redo-format.md 7.1): header with first_lsn = fromLsn and
 * a "Backup " creator, checkpoint block 1 = (fromLsn, E) where E is the LSN of
 * the mtr holding FILE_CHECKPOINT(fromLsn), block 2 zero, then the log bytes
 * from offset 12288 with every terminator 1, not padded. mariadb-backup
 * --prepare and mariadbd read it as a ring of capacity toLsn − fromLsn whose
 * end is found where the sequence bit flips.
 */
export async function exportLog(opts: ExportLogOptions): Promise<ExportLogResult> {
  const { fromLsn: a, toLsn: b } = opts;
  if (b <= a) throw new UsageError(`--to-lsn ${formatLsn(b)} must be after --from-lsn ${formatLsn(a)}`);
  const archive = await openArchive(opts.archiveDir);
  if (a < archive.startLsn || b > archive.endLsn) {
    throw new LogGapError(
      `LSN range ${formatLsn(a)}..${formatLsn(b)} is outside the archive (${formatLsn(archive.startLsn)}..${formatLsn(archive.endLsn)})`,
      { file: opts.archiveDir },
    );
  }
  for (const g of archive.gaps) {
    if (g.to > a && g.from < b) {
      throw new LogGapError(`archive has a gap at LSN ${formatLsn(g.from)}..${formatLsn(g.to)} inside the requested range`, {
        lsn: g.from,
        file: opts.archiveDir,
      });
    }
  }
  const src = archive.source();
  const tmp = `${dirname(opts.out)}/${TEMP_PREFIX}export-${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, 'wx', 0o600);
  const reader = new RecordReader({ source: src });
  let checkpointEnd: Lsn | undefined;
  let written = 0;
  let end = a;
  let lastStart = a;
  try {
    for await (const r of readMtrBatches(src, a, { toLsn: b })) {
      if (r.kind === 'end') {
        end = r.endLsn;
        break;
      }
      const from = r.starts[0]!;
      const to = r.ends[r.count - 1]!;
      if (checkpointEnd === undefined) checkpointEnd = findCheckpointMtr(reader, r, a);
      const chunk = r.bytes.subarray(from, to);
      await fh.write(chunk, 0, chunk.length, START_OFFSET + written);
      written += chunk.length;
      end = r.lsn + BigInt(to);
      lastStart = r.lsn + BigInt(r.starts[r.count - 1]!);
    }
    if (end < b) throw new LogGapError(`archived log ends at LSN ${formatLsn(end)}, before --to-lsn ${formatLsn(b)}`, { lsn: end });
    if (end !== b) {
      throw new RefusedError(
        `--to-lsn ${formatLsn(b)} is not an mtr boundary: the mtr at LSN ${formatLsn(lastStart)} ends at ${formatLsn(end)}`,
      );
    }
    if (checkpointEnd === undefined) {
      throw new RefusedError(
        `--from-lsn ${formatLsn(a)} is not a checkpoint LSN: no FILE_CHECKPOINT(${formatLsn(a)}) record in ${formatLsn(a)}..${formatLsn(b)}`,
      );
    }
    await fh.write(encodeLogHeader({ firstLsn: a, creator: opts.creator ?? 'Backup 10.11.19' }), 0, undefined, 0);
    await fh.write(encodeCheckpointBlock(a, checkpointEnd), 0, undefined, CHECKPOINT_1);
    await fh.truncate(START_OFFSET + written);
    await fh.sync();
    await fh.close();
    await rename(tmp, opts.out);
    await syncDir(dirname(opts.out));
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return { fromLsn: a, toLsn: b, checkpointEndLsn: checkpointEnd, bytes: START_OFFSET + written };
}

/** LSN of the first mtr in the batch whose last record is FILE_CHECKPOINT(`lsn`), if any. */
function findCheckpointMtr(reader: RecordReader, r: { bytes: Uint8Array; lsn: Lsn; count: number; starts: Uint32Array; recordsEnds: Uint32Array; ends: Uint32Array }, lsn: Lsn): Lsn | undefined {
  const bytes = r.bytes;
  for (let i = 0; i < r.count; i++) {
    const re = r.recordsEnds[i]!;
    const at = re - 11;
    if (at < r.starts[i]! || bytes[at] !== 0xfa || bytes[at + 1] !== 0 || bytes[at + 2] !== 0) continue;
    const mtrLsn = r.lsn + BigInt(r.starts[i]!);
    reader.reset(bytes, r.starts[i]!, re, mtrLsn, r.lsn + BigInt(r.ends[i]!));
    while (reader.next()) {
      if (reader.type === FILE_CHECKPOINT && reader.checkpointLsn === lsn) return mtrLsn;
    }
  }
  return undefined;
}
