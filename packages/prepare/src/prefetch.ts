import type { CircularLog, LogSource, Lsn } from '@ibarchive/parser';

/** `src` with another `read` (everything else delegated). */
export function withRead(src: LogSource, read: LogSource['read']): LogSource {
  return {
    name: src.name,
    firstLsn: src.firstLsn,
    seqBit: (lsn) => src.seqBit(lsn),
    seqFlipAfter: (lsn) => src.seqFlipAfter(lsn),
    locate: (lsn) => src.locate(lsn),
    read,
  };
}

/** Largest mtr (MTR_SIZE_MAX): a read restarts at most this far before the end of the previous one. */
const OVERLAP = 1 << 20;

/**
 * Wraps a log source so that sequential reads are served from large chunks,
 * the next chunk being read while the current one is decoded. Chunks overlap
 * by one maximal mtr, since a batch read restarts at the last whole mtr.
 * Only reads that lie wholly inside a chunk are served from it; any other
 * read (near the end of the source, or of a ring smaller than a chunk) goes
 * to the source, so the answers are exactly the source's.
 */
export function prefetching(src: LogSource, chunk = 32 << 20): LogSource {
  let cache: { lsn: Lsn; bytes: Uint8Array; complete: boolean } | undefined;
  let next: { lsn: Lsn; bytes: Promise<Uint8Array> } | undefined;
  // A ring (an ib_logfile0) is read in chunks that stop at its end: a read across it costs a copy
  // of both parts, and beyond the end of a backup's log (whose ring ends where its log does) it only
  // finds the log's old start. A read across the end goes to the source with its own length.
  const ring = (src as Partial<CircularLog>).capacity;
  const room = (lsn: Lsn): number => (ring === undefined ? Infinity : ring - Number((lsn - src.firstLsn) % BigInt(ring)));
  const chunkAt = (lsn: Lsn): number => Math.min(chunk, room(lsn));
  const fetch = (lsn: Lsn) => ({ lsn, bytes: src.read(lsn, chunkAt(lsn)) });
  const serves = (c: NonNullable<typeof cache>, lsn: Lsn, length: number) => {
    const end = c.lsn + BigInt(c.bytes.length);
    return lsn >= c.lsn && lsn + BigInt(length) <= end;
  };
  return withRead(src, async (lsn: Lsn, length: number): Promise<Uint8Array> => {
    if (length > chunk - OVERLAP || length > room(lsn)) return src.read(lsn, length);
    if (!cache || !serves(cache, lsn, length)) {
      if (next && lsn >= next.lsn) {
        const bytes = await next.bytes;
        cache = { lsn: next.lsn, bytes, complete: bytes.length === chunk };
        next = undefined;
      }
      if (!cache || !serves(cache, lsn, length)) {
        const bytes = await src.read(lsn, chunkAt(lsn));
        cache = { lsn, bytes, complete: bytes.length === chunk };
        next = undefined;
      }
    }
    if (!next && cache.complete) next = fetch(cache.lsn + BigInt(cache.bytes.length - OVERLAP));
    const at = Number(lsn - cache.lsn);
    return cache.bytes.subarray(at, Math.min(cache.bytes.length, at + length));
  });
}
