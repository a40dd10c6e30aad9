/**
 * Entry of the segment writer thread (segment-writer.ts). Per job, in three
 * steps: assemble the file (LZ4 blocks on libuv's pool, CRC-32C and SHA-256
 * here), strictly one job after another since each header carries the
 * previous file's hash; write and fsync its temp file, which overlaps the
 * assembly of the next job; publish (rename, fsync the directory) and reply,
 * strictly in job order and only after the previous job is published. Once a
 * job fails every later job fails too, so no segment is published after a
 * missing one.
 */
import { unlink } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { publishDurable, writeTempDurable } from './durable.js';
import { buildSegmentImage, type SegmentImage } from './segment-io.js';
import type { WriteJob, WriteReply } from './segment-writer.js';

const port = parentPort!;
/** Buffers compressed segments are assembled in; one per job between assembly and publication, reused. */
const freeScratch: { buf: Uint8Array | undefined }[] = [];
/** SHA-256 of the previous job's file (for chained jobs). */
let lastHash: string | undefined;
/** The first failure; every later job fails with it. */
let failure: Error | undefined;
let assembling: Promise<unknown> = Promise.resolve();
let publishing: Promise<unknown> = Promise.resolve();

port.on('message', (job: WriteJob) => {
  const scratch = freeScratch.pop() ?? { buf: undefined };
  const payload = new Uint8Array(job.buffer, job.offset, job.length);
  const image: Promise<SegmentImage> = assembling.then(async () => {
    if (failure) throw failure;
    const previousHash = job.chained ? lastHash : job.opts.previousHash;
    const img = await buildSegmentImage(job.id, job.startLsn, payload, { ...job.opts, previousHash, scratch });
    lastHash = img.hash;
    return img;
  });
  assembling = image.catch((e: unknown) => void (failure ??= asError(e)));
  const temp = image.then(async (img) => ({ img, path: await writeTempDurable(job.dir, img.name, [img.file]) }));
  temp.catch(() => undefined);
  publishing = publishing.then(async () => {
    let reply: WriteReply;
    let written: { img: SegmentImage; path: string } | undefined;
    try {
      written = await temp;
      if (failure) throw failure;
      await publishDurable(written.path, job.dir, written.img.name);
      reply = { ok: true, name: written.img.name, hash: written.img.hash, buffer: job.buffer };
    } catch (e) {
      failure ??= asError(e);
      if (written) await unlink(written.path).catch(() => undefined);
      const err = e as NodeJS.ErrnoException;
      reply = { ok: false, message: err.message, code: err.code, path: err.path, buffer: job.buffer };
    }
    freeScratch.push(scratch);
    port.postMessage(reply, [job.buffer]);
  });
});

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
