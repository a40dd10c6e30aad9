import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  ChecksumMismatchError,
  CorruptLogError,
  formatLsn,
  type Lsn,
  readMtrBatches,
  RefusedError,
} from '@ibarchive/parser';
import { type ArchiveIdentity, writeGap, writeIdentity } from './archive-layout.js';
import { certifiedFloor, oldestCertifiedCheckpoint } from './certify.js';
import { ensurePrivateDir } from './durable.js';
import { PendingSegment } from './pending.js';
import { loadArchiveState } from './resume.js';
import type { Compression } from './segment-format.js';
import { findLogEnd, logFileReplaced, openServerLog, rereadCheckpoints, type ServerLog } from './server-log.js';
import { SegmentSink } from './sink.js';
import { SegmentWriterThread } from './segment-writer.js';
import { SuccessorWatch } from './successor.js';
import type { ArchiveEvent } from './events.js';
import { ArchiverStatusWriter } from './status.js';

/** Options of runArchiver (the `ibarchive archive` command). */
export interface ArchiverOptions {
  /** The server's ib_logfile0. */
  logPath: string;
  archiveDir: string;
  /** Archive what is in the log now, then return. Otherwise follow until `signal` aborts. */
  once?: boolean | undefined;
  pollIntervalMs?: number | undefined;
  /** Roll a segment after this many log bytes (default 64 MiB). */
  segmentSize?: number | undefined;
  /** Roll a non-empty segment after this many seconds (default 10). */
  segmentSeconds?: number | undefined;
  compression?: Compression | undefined;
  /** Warn when headroom falls below this fraction of the capacity (default 0.25). */
  headroomWarnFraction?: number | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((e: ArchiveEvent) => void) | undefined;
  now?: (() => number) | undefined;
  /**
   * Id of the process running the archiver, recorded in status.json so that
   * `status` can tell a live archiver from a dead one. Without it the status
   * file has no pid and readers cannot judge liveness.
   */
  pid?: number | undefined;
  /** Bytes read from the server log at once (default 8 MiB). */
  readBytes?: number | undefined;
}

/** What a run did. */
export interface ArchiverSummary {
  startLsn: Lsn;
  archivedLsn: Lsn;
  segmentsWritten: number;
  gaps: { from: Lsn; to: Lsn }[];
  /** Log bytes that were read straight into the segment being assembled (not copied). */
  inPlaceBytes: number;
}

/** Consecutive polls a mid-log checksum failure at the live tail may persist before it is reported as corruption. */
const TAIL_FAILURE_POLLS = 30;

/**
 * Tails the server's circular log into the archive directory. Reads only
 * whole CRC-valid mtrs, certifies every read against overrun (certify.ts),
 * writes segments durably, records gaps, follows log file replacement, and
 * resumes exactly where the archive's files end.
 */
export async function runArchiver(opts: ArchiverOptions): Promise<ArchiverSummary> {
  const writer = new SegmentWriterThread();
  try {
    return await archive(opts, writer);
  } finally {
    await writer.close();
  }
}

async function archive(opts: ArchiverOptions, writer: SegmentWriterThread): Promise<ArchiverSummary> {
  const now = opts.now ?? Date.now;
  const statusFile = new ArchiverStatusWriter(opts.archiveDir, { pollIntervalMs: opts.pollIntervalMs ?? 1000, pid: opts.pid, now });
  const emit = (e: ArchiveEvent) => (statusFile.onEvent(e), opts.onEvent?.(e));
  const segmentSize = opts.segmentSize ?? 64 << 20;
  // Each read goes into the pending segment's free tail when it fits (at least 1 MiB: see file.ts).
  const readBytes = Math.max(opts.readBytes ?? 8 << 20, 1 << 20);
  const segmentMs = (opts.segmentSeconds ?? 10) * 1000;
  const poll = opts.pollIntervalMs ?? 1000;
  const warnFraction = opts.headroomWarnFraction ?? 0.25;
  const dir = opts.archiveDir;
  await ensurePrivateDir(dir);

  const state = await loadArchiveState(dir);
  let srv = await openServerLog(opts.logPath);
  let identity: ArchiveIdentity;
  let pos: Lsn;
  if (state) {
    identity = state.identity;
    pos = state.nextLsn;
  } else {
    identity = {
      archiveId: randomBytes(16).toString('hex'),
      createdAt: new Date(now()).toISOString(),
      originFirstLsn: srv.log.header.firstLsn,
      creator: srv.log.header.creator,
      logFormat: srv.log.header.format,
      startLsn: srv.log.checkpoints.latest.checkpointLsn,
    };
    await writeIdentity(dir, identity);
    pos = identity.startLsn;
  }
  const sink = new SegmentSink(dir, identity, opts.compression ?? 'lz4', state?.lastHash, emit, writer);
  const pending = new PendingSegment(pos, Math.min(segmentSize, 64 << 20) + readBytes + (1 << 20));
  const gaps: { from: Lsn; to: Lsn }[] = [];
  const startLsn = pos;
  emit({ type: 'start', archiveDir: dir, log: srv.path, nextLsn: pos, resumed: state !== undefined });

  let tailFailures = 0;
  let lastFailureLsn: Lsn | undefined;
  const seen: { lsn: Lsn; time: number }[] = [];
  let lastWarn = 0;

  const recordGap = async (to: Lsn, reason: string) => {
    await sink.flush(pending);
    const from = pending.endLsn;
    await writeGap(dir, from, to, reason, new Date(now()));
    gaps.push({ from, to });
    emit({ type: 'gap', from, to, reason });
    pending.reset(to);
    pos = to;
  };

  /** Called when a log is (re)opened: refuse foreign history, skip what the new log cannot provide. */
  const attach = async (s: ServerLog, lastMtrCrc: Uint8Array | undefined) => {
    const cps = s.log.checkpoints;
    // At or before the checkpoint the log certainly reaches pos; beyond it, find the end.
    const end = pos <= cps.latest.checkpointLsn ? undefined : await findLogEnd(s, cps.latest.checkpointLsn);
    if (end !== undefined && end < pos) {
      throw new RefusedError(
        `server log ${s.path} ends at LSN ${formatLsn(end)}, before the archive's next LSN ${formatLsn(pos)}: ` +
          `it does not continue this archive's history (a restored copy or another server?)`,
      );
    }
    if (lastMtrCrc && pos - 4n >= s.log.firstLsn) {
      const bytes = await s.log.read(pos - 4n, 4);
      const cp = await rereadCheckpoints(s);
      const floor = certifiedFloor({ checkpointLsn: cp.latest, capacity: s.log.capacity, observedEnd: end });
      if (pos - 4n >= floor && Buffer.compare(Buffer.from(bytes), Buffer.from(lastMtrCrc)) !== 0) {
        throw new RefusedError(
          `server log ${s.path} does not continue this archive: the mtr ending at LSN ${formatLsn(pos)} ` +
            `has CRC ${Buffer.from(bytes).toString('hex')} in the log but ${Buffer.from(lastMtrCrc).toString('hex')} in the archive`,
        );
      }
    }
    if (pos < s.log.firstLsn) {
      const restart = oldestCertifiedCheckpoint(cps.valid.map((c) => c.checkpointLsn), s.log.firstLsn)!;
      emit({ type: 'error', message: `the server log was re-created at LSN ${formatLsn(s.log.firstLsn)}; LSN ${formatLsn(pos)}..${formatLsn(restart)} is lost` });
      await recordGap(restart, `server log ${s.path} was re-created with first_lsn ${formatLsn(s.log.firstLsn)}`);
    }
  };

  /** One read of [pos, ...) up to the segment bound. Returns the end of the valid log if observed. */
  const step = async (): Promise<{ more: boolean; serverLsn: Lsn | undefined }> => {
    const toLsn = pending.startLsn + BigInt(segmentSize);
    const mark = pending.mark();
    let observedEnd: Lsn | undefined;
    try {
      // Each window is read straight into the pending segment's free tail, where its mtrs are appended in place.
      srv.ra.setNextReadTarget(pending.freeTail(readBytes));
      try {
        for await (const r of readMtrBatches(srv.log, pos, { toLsn, batchBytes: readBytes })) {
          if (r.kind === 'batch') pending.appendBatch(r, now());
          else if (r.reason !== 'to-lsn') observedEnd = r.endLsn;
          srv.ra.setNextReadTarget(pending.freeTail(readBytes));
        }
      } finally {
        srv.ra.setNextReadTarget(undefined);
      }
      tailFailures = 0;
    } catch (e) {
      if (!(e instanceof ChecksumMismatchError || e instanceof CorruptLogError)) throw e;
      // At the live tail a half-written mtr can look like mid-log corruption; retry next poll.
      if (lastFailureLsn === pending.endLsn && ++tailFailures > TAIL_FAILURE_POLLS) throw e;
      if (lastFailureLsn !== pending.endLsn) tailFailures = 1;
      lastFailureLsn = pending.endLsn;
      observedEnd = pending.endLsn;
    }
    let cps = await rereadCheckpoints(srv);
    let floor = certifiedFloor({ checkpointLsn: cps.latest, capacity: srv.log.capacity, observedEnd });
    let serverLsn = observedEnd;
    if (pos < floor && observedEnd === undefined) {
      serverLsn = await findLogEnd(srv, pending.endLsn);
      cps = await rereadCheckpoints(srv);
      floor = certifiedFloor({ checkpointLsn: cps.latest, capacity: srv.log.capacity, observedEnd: serverLsn });
    }
    if (pos >= floor) {
      pos = pending.endLsn;
      return { more: observedEnd === undefined, serverLsn };
    }
    pending.truncate(mark);
    const restart = oldestCertifiedCheckpoint(cps.all, floor)!;
    emit({
      type: 'error',
      message:
        `LOG OVERRUN: the server overwrote LSN ${formatLsn(pos)}..${formatLsn(restart)} before it was archived ` +
        `(server checkpoint ${formatLsn(cps.latest)}, capacity ${srv.log.capacity}); continuing from checkpoint ${formatLsn(restart)}`,
    });
    await recordGap(restart, `overrun: the server log wrapped past LSN ${formatLsn(pos)} before it was archived`);
    return { more: true, serverLsn };
  };

  const progress = (serverLsn: Lsn | undefined) => {
    const t = now();
    const server = serverLsn ?? pos;
    seen.push({ lsn: server, time: t });
    const durable = sink.inFlightFrom ?? pending.startLsn;
    while (seen.length > 1 && seen[1]!.lsn <= durable) seen.shift();
    const firstAhead = seen.find((s) => s.lsn > durable);
    const lagBytes = server > durable ? server - durable : 0n;
    const lagSeconds = firstAhead ? (t - firstAhead.time) / 1000 : 0;
    const headroom = BigInt(srv.log.capacity) - (server > pos ? server - pos : 0n);
    emit({ type: 'progress', archivedLsn: pos, durableLsn: durable, serverLsn: server, lagBytes, lagSeconds, headroom, capacity: srv.log.capacity });
    if (Number(headroom) < warnFraction * srv.log.capacity && t - lastWarn > 10_000) {
      lastWarn = t;
      emit({
        type: 'warning',
        message: `archiver is ${formatLsn(server - pos)} bytes behind the server; only ${formatLsn(headroom)} bytes of headroom before the log wraps over unarchived data`,
      });
    }
  };

  await attach(srv, state?.lastMtrCrc);
  pending.reset(pos);
  const successor = new SuccessorWatch(opts.logPath);
  try {
    for (;;) {
      if (opts.signal?.aborted) break;
      await successor.poll(srv.ra);
      if (await logFileReplaced(srv)) {
        // Drain the old file (the server wrote everything before the switch there too), then switch.
        for (let r = await step(); r.more; r = await step()) if (pending.length >= segmentSize) await sink.submit(pending);
        let next: ServerLog | undefined;
        try {
          next = await successor.takeIntermediate(await stat(opts.logPath).catch(() => undefined), pos);
          next ??= await openServerLog(opts.logPath);
        } catch {
          if (opts.once) break;
          await sleep(poll, opts.signal);
          continue;
        }
        await srv.ra.close();
        srv = next;
        emit({ type: 'log-changed', log: srv.path, firstLsn: srv.log.header.firstLsn, capacity: srv.log.capacity });
        await attach(srv, undefined);
      }
      let r = await step();
      while (r.more) {
        if (pending.length >= segmentSize) await sink.submit(pending);
        if (opts.signal?.aborted) break;
        r = await step();
      }
      if (pending.length >= segmentSize) await sink.submit(pending);
      pending.sample(now(), pos);
      if (pending.length > 0 && pending.firstAddedAt !== undefined && now() - pending.firstAddedAt >= segmentMs) await sink.submit(pending);
      progress(r.serverLsn);
      if (opts.once) break;
      await sleep(poll, opts.signal);
    }
  } finally {
    await sink.flush(pending).finally(() => Promise.all([srv.ra.close(), successor.close()]));
  }
  emit({ type: 'stop', archivedLsn: pos });
  await statusFile.settled();
  return { startLsn, archivedLsn: pos, segmentsWritten: sink.written, gaps, inPlaceBytes: pending.inPlace };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
