import { Worker } from 'node:worker_threads';
import type { Lsn } from '@ibarchive/parser';
import { readSegmentHeader, type SegmentIdentity, type WriteSegmentOptions, type WrittenSegment } from './segment-io.js';

/** A segment to write, sent to the writer thread with its buffer transferred. */
export interface WriteJob {
  dir: string;
  id: SegmentIdentity;
  startLsn: Lsn;
  buffer: ArrayBuffer;
  offset: number;
  length: number;
  opts: WriteSegmentOptions;
  /** Link to the file of the thread's previous job (its SHA-256) instead of `opts.previousHash`. */
  chained: boolean;
}

/** The writer thread's answer; the buffer comes back in either case. */
export type WriteReply =
  | { ok: true; name: string; hash: string; buffer: ArrayBuffer }
  | { ok: false; message: string; code: string | undefined; path: string | undefined; buffer: ArrayBuffer };

/**
 * Writes segments on a worker thread, so that compression, CRC-32C, SHA-256
 * and the fsyncs run on the second core while the archiver reads and
 * validates the next segment. Several jobs may be outstanding: the thread
 * assembles them one after the other (each header links to the previous
 * file's hash), writes and fsyncs a job's temp file while it assembles the
 * next, and publishes (renames) them strictly in order, each only after the
 * one before it is durable. Replies come in job order. The payload's buffer
 * is transferred (not copied) and handed back when its file is durable.
 */
export class SegmentWriterThread {
  private readonly worker = new Worker(new URL('./segment-writer-worker.js', import.meta.url));
  private readonly waiting: { resolve: (r: WriteReply) => void; reject: (e: unknown) => void }[] = [];
  private failed: unknown;

  constructor() {
    this.worker.on('message', (r: WriteReply) => this.waiting.shift()?.resolve(r));
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`segment writer thread exited (code ${code})`)));
  }

  private fail(e: unknown): void {
    this.failed ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  /**
   * Writes `payload` (a view whose buffer the caller gives up until this
   * resolves) as the segment starting at `startLsn`. With `chained`, its
   * header links to the previous job's file rather than `opts.previousHash`.
   * Resolves with the written segment and a view of the same bytes in the
   * returned buffer.
   */
  async write(
    dir: string,
    id: SegmentIdentity,
    startLsn: Lsn,
    payload: Uint8Array,
    opts: WriteSegmentOptions,
    chained = false,
  ): Promise<{ segment: WrittenSegment; payload: Uint8Array }> {
    if (this.failed !== undefined) throw this.failed;
    const buffer = payload.buffer as ArrayBuffer;
    const job: WriteJob = { dir, id, startLsn, buffer, offset: payload.byteOffset, length: payload.length, opts, chained };
    const reply = await new Promise<WriteReply>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(job, [buffer]);
    });
    const back = new Uint8Array(reply.buffer, job.offset, job.length);
    if (!reply.ok) {
      const e = new Error(reply.message) as NodeJS.ErrnoException;
      if (reply.code !== undefined) e.code = reply.code;
      if (reply.path !== undefined) e.path = reply.path;
      throw e;
    }
    const header = await readSegmentHeader(dir, reply.name);
    return { segment: { name: reply.name, hash: reply.hash, header }, payload: back };
  }

  /** Stops the thread (after the outstanding jobs, if awaited first). */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
