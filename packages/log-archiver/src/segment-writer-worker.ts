/**
 * Entry of the segment writer thread (segment-writer.ts): writes one segment
 * per message with blocking calls (CRC-32C, lz4, SHA-256, write, fsyncs,
 * rename) and sends the payload's buffer back for reuse.
 */
import { parentPort } from 'node:worker_threads';
import { writeSegmentSync } from './segment-io.js';
import type { WriteJob, WriteReply } from './segment-writer.js';

const port = parentPort!;
port.on('message', (job: WriteJob) => {
  const payload = new Uint8Array(job.buffer, job.offset, job.length);
  let reply: WriteReply;
  try {
    const seg = writeSegmentSync(job.dir, job.id, job.startLsn, payload, job.opts);
    reply = { ok: true, name: seg.name, hash: seg.hash, buffer: job.buffer };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    reply = { ok: false, message: err.message, code: err.code, path: err.path, buffer: job.buffer };
  }
  port.postMessage(reply, [job.buffer]);
});
