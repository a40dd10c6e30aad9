import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { IbarchiveError } from '@ibarchive/parser';

/** Name, in the target directory, of the scratch file pages evicted during a pass go to. */
export const SPILL_FILE = '.ibarchive-spill';

/**
 * Page images a pass holds beyond its memory (see PageCache): page i at
 * offset i * pageSize of a scratch file in the target directory, owner-only.
 * The data files are not touched before the whole log is checked, so pages
 * that do not fit go here rather than back to their files. Opened on first
 * use; a read of what was written is served by the OS page cache.
 */
export class SpillFile {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    readonly pageSize: number,
    /** Open an existing file (the writing thread reads what the apply thread spilled). */
    private readonly existing = false,
  ) {}

  private open(): number {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, this.existing ? 'r' : 'w+', 0o600);
      } catch (e) {
        throw new IbarchiveError('input', `cannot open the scratch file for pages (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: this.path });
      }
    }
    return this.fd;
  }

  write(index: number, page: Uint8Array): void {
    this.io('write', index, page);
  }

  read(index: number, into: Uint8Array): void {
    this.io('read', index, into);
  }

  private io(op: 'read' | 'write', index: number, page: Uint8Array): void {
    const fd = this.open();
    const ps = this.pageSize;
    let done = 0;
    try {
      while (done < ps) {
        const n = op === 'write' ? writeSync(fd, page, done, ps - done, index * ps + done) : readSync(fd, page, done, ps - done, index * ps + done);
        if (n === 0) throw Object.assign(new Error('short read'), { code: 'EOF' });
        done += n;
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new IbarchiveError('input', `cannot ${op} a page in the scratch file (${code})`, { file: this.path, offset: index * ps + done });
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
