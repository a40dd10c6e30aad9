import { open, type FileHandle } from 'node:fs/promises';
import type { RandomAccess } from '@ibarchive/parser';

/** A RandomAccess over one open file descriptor; `close()` releases it. */
export interface FileRandomAccess extends RandomAccess {
  readonly path: string;
  /** Device and inode at open time: a changed pair means the path now names another file. */
  readonly dev: number;
  readonly ino: number;
  /**
   * The next read of at least 1 MiB and at most `dest.length` bytes reads into
   * `dest` (from its start) instead of a buffer of its own, then `dest` is
   * forgotten. Lets a caller that appends what it reads avoid a copy.
   */
  setNextReadTarget(dest: Uint8Array | undefined): void;
  close(): Promise<void>;
}

/** Smallest read that goes into a target set with setNextReadTarget. */
const TARGET_MIN = 1 << 20;

/** Largest single read(2) issued; longer requests are split. */
const MAX_READ = 1 << 30;

/** Options of fileRandomAccess. */
export interface FileRandomAccessOptions {
  /**
   * Read into this many buffers in turn instead of a new array per read: a
   * result stays valid only until `reuseBuffers` more reads have been made.
   * Fresh memory costs page faults on every first touch (here ~1 ms per MB),
   * which dominates a tailing loop that reads the same window size again and
   * again. Only for callers that consume each read at once.
   */
  reuseBuffers?: number | undefined;
}

/**
 * Opens `path` read-only for positioned reads. `size` is the size at open
 * time; reads past it return what exists (a short array at end of file).
 */
export async function fileRandomAccess(path: string, name = path, opts: FileRandomAccessOptions = {}): Promise<FileRandomAccess> {
  const fh = await open(path, 'r');
  let st;
  try {
    st = await fh.stat();
  } catch (e) {
    await fh.close();
    throw e;
  }
  return makeRandomAccess(fh, path, name, st.size, st.dev, st.ino, opts.reuseBuffers ?? 0);
}

function makeRandomAccess(fh: FileHandle, path: string, name: string, size: number, dev: number, ino: number, reuse: number): FileRandomAccess {
  let closed = false;
  const pool: Uint8Array[] = [];
  let turn = 0;
  let target: Uint8Array | undefined;
  const buffer = (n: number): Uint8Array => {
    if (target && n >= TARGET_MIN && n <= target.length) {
      const t = target.subarray(0, n);
      target = undefined;
      return t;
    }
    if (reuse === 0) return new Uint8Array(n);
    const i = turn++ % reuse;
    if ((pool[i]?.length ?? -1) < n) pool[i] = new Uint8Array(n);
    return pool[i]!.subarray(0, n);
  };
  return {
    name,
    path,
    size,
    dev,
    ino,
    async read(position, length) {
      const want = Math.max(0, Math.min(length, size - position));
      const buf = buffer(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(buf, got, Math.min(MAX_READ, want - got), position + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === want ? buf : buf.subarray(0, got);
    },
    setNextReadTarget(dest) {
      target = dest;
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}
