import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LogSource, type Lsn, openCircularLog, readMtrBatches } from '@ibarchive/parser';
import { type ArchiveEvent, fileRandomAccess, openArchive, runArchiver } from '../src/index.js';

/** A fresh temp directory removed at teardown. */
export async function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'ibarchive-test-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** Decodes the whole archive from its start; returns the end LSN, why it ended, and the mtr count. */
export async function decodeArchive(dir: string, from?: Lsn): Promise<{ start: Lsn; end: Lsn; reason: string; mtrs: number }> {
  const a = await openArchive(dir);
  const start = from ?? a.startLsn;
  let mtrs = 0;
  for await (const r of readMtrBatches(a.source(), start)) {
    if (r.kind === 'end') return { start, end: r.endLsn, reason: r.reason, mtrs };
    mtrs += r.count;
  }
  throw new Error('no end');
}

/**
 * An archiver following `logPath` into `archiveDir` (20 ms polls, segments
 * rolled at `segmentSize` or after 1 s) until `ac.abort()`; `archived()` is
 * the archived LSN of the last progress event, `events` every other event.
 */
export function followLog(logPath: string, archiveDir: string, segmentSize: number) {
  const ac = new AbortController();
  const events: ArchiveEvent[] = [];
  let archived: Lsn = 0n;
  const run = runArchiver({
    logPath,
    archiveDir,
    pollIntervalMs: 20,
    segmentSize,
    segmentSeconds: 1,
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === 'progress') archived = e.archivedLsn;
      else events.push(e);
    },
  });
  return { ac, run, events, archived: () => archived };
}

export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Start LSN of the first mtr at or after `lsn` in `src` (decoded from `start`, an mtr boundary). */
async function firstMtrAtOrAfter(src: LogSource, start: Lsn, lsn: Lsn): Promise<Lsn | undefined> {
  for await (const r of readMtrBatches(src, start)) {
    if (r.kind === 'end') return r.endLsn >= lsn ? r.endLsn : undefined;
    for (let i = 0; i < r.count; i++) if (r.lsn + BigInt(r.starts[i]!) >= lsn) return r.lsn + BigInt(r.starts[i]!);
  }
  return undefined;
}

/**
 * Compares the archive with the last lap of a stopped server's ib_logfile0 (terminators set to 1
 * as the archive stores them): from the first mtr boundary at least 1 MiB inside the ring's
 * newest lap (and at or after the log's first_lsn) to the archive's end. Returns where the
 * comparison started, the first differing LSN (undefined if none) and the bytes compared.
 */
export async function compareWithServerLog(
  logPath: string,
  archiveDir: string,
): Promise<{ from: Lsn | undefined; logEnd: Lsn; archiveEnd: Lsn; compared: number; mismatchAt: Lsn | undefined }> {
  const a = await openArchive(archiveDir);
  const ra = await fileRandomAccess(logPath);
  try {
    const log = await openCircularLog(ra);
    let logEnd = log.checkpoints.latest.checkpointLsn;
    for await (const r of readMtrBatches(log, logEnd)) if (r.kind === 'end') logEnd = r.endLsn;
    const lapStart = logEnd - BigInt(log.capacity) + (1n << 20n);
    const floor = lapStart > log.firstLsn ? lapStart : log.firstLsn;
    const src = a.source();
    const from = await firstMtrAtOrAfter(src, a.startLsn, floor);
    if (from === undefined) return { from, logEnd, archiveEnd: a.endLsn, compared: 0, mismatchAt: undefined };
    let next = from;
    for await (const r of readMtrBatches(log, from, { toLsn: a.endLsn })) {
      if (r.kind === 'end') break;
      if (r.lsn + BigInt(r.starts[0]!) !== next) return { from, logEnd, archiveEnd: a.endLsn, compared: Number(next - from), mismatchAt: next };
      const bytes = r.bytes.slice(r.starts[0], r.ends[r.count - 1]);
      for (let i = 0; i < r.count; i++) bytes[r.recordsEnds[i]! - r.starts[0]!] = 1;
      const mine = await src.read(next, bytes.length);
      if (Buffer.compare(Buffer.from(mine), Buffer.from(bytes)) !== 0) {
        return { from, logEnd, archiveEnd: a.endLsn, compared: Number(next - from), mismatchAt: next };
      }
      next += BigInt(bytes.length);
    }
    return { from, logEnd, archiveEnd: a.endLsn, compared: Number(next - from), mismatchAt: next === a.endLsn ? undefined : next };
  } finally {
    await ra.close();
  }
}
