import { open, type FileHandle } from 'node:fs/promises';
import type { RandomAccess } from '@ibarchive/parser';

/** A RandomAccess over one open file descriptor; `close()` releases it. */
export interface FileRandomAccess extends RandomAccess {
  readonly path: string;
  /** Device and inode at open time: a changed pair means the path now names another file. */
  readonly dev: number;
  readonly ino: number;
  close(): Promise<void>;
}

/** Largest single read(2) issued; longer requests are split. */
const MAX_READ = 1 << 30;

/**
 * Opens `path` read-only for positioned reads. `size` is the size at open
 * time; reads past it return what exists (a short array at end of file).
 */
export async function fileRandomAccess(path: string, name = path): Promise<FileRandomAccess> {
  const fh = await open(path, 'r');
  let st;
  try {
    st = await fh.stat();
  } catch (e) {
    await fh.close();
    throw e;
  }
  return makeRandomAccess(fh, path, name, st.size, st.dev, st.ino);
}

function makeRandomAccess(fh: FileHandle, path: string, name: string, size: number, dev: number, ino: number): FileRandomAccess {
  let closed = false;
  return {
    name,
    path,
    size,
    dev,
    ino,
    async read(position, length) {
      const want = Math.max(0, Math.min(length, size - position));
      const buf = new Uint8Array(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(buf, got, Math.min(MAX_READ, want - got), position + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === want ? buf : buf.subarray(0, got);
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}
