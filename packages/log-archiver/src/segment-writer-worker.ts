/**
 * Entry of the segment writer thread (segment-writer.ts): writes one segment
 * per message (CRC-32C and SHA-256 here, LZ4 blocks and file I/O on libuv's
 * pool) and sends the payload's buffer back for reuse.
 */
import { parentPort } from 'node:worker_threads';
import { writeSegment } from './segment-io.js';
import type { WriteJob, WriteReply } from './segment-writer.js';

const port = parentPort!;
/** Compressed segments are assembled here, one at a time. */
const scratch: { buf: Uint8Array | undefined } = { buf: undefined };
port.on('message', async (job: WriteJob) => {
  const payload = new Uint8Array(job.buffer, job.offset, job.length);
  let reply: WriteReply;
  try {
    const seg = await writeSegment(job.dir, job.id, job.startLsn, payload, { ...job.opts, scratch });
    reply = { ok: true, name: seg.name, hash: seg.hash, buffer: job.buffer };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    reply = { ok: false, message: err.message, code: err.code, path: err.path, buffer: job.buffer };
  }
  port.postMessage(reply, [job.buffer]);
});
