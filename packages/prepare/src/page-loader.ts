import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@ibarchive/parser';

/**
 * Where a space's pages are read from: a file (relative to the directory),
 * `null` for a space created in the log whose file does not exist yet (its
 * pages read as zeros), `undefined` when not known (yet).
 */
export type SpaceResolver = (spaceId: number) => string | null | undefined;

/**
 * Reads single pages for the streaming apply, synchronously: a page is read
 * the first time a record needs it, in the middle of decoding, and reads of a
 * backup that was just copied or prepared are served by the page cache.
 */
export class PageLoader {
  private readonly fds = new Map<string, number>();
  private readonly resolved = new Map<number, string | null>();

  constructor(
    readonly dir: string,
    readonly pageSize: number,
    private readonly resolve: SpaceResolver,
  ) {}

  /** True when pages of the space can be read (file or created in the log). */
  has(spaceId: number): boolean {
    return this.pathOf(spaceId) !== undefined;
  }

  private pathOf(spaceId: number): string | null | undefined {
    if (this.resolved.has(spaceId)) return this.resolved.get(spaceId);
    const p = this.resolve(spaceId);
    if (p !== undefined) this.resolved.set(spaceId, p);
    return p;
  }

  /** Reads page `pageNo` into `into`; zeros beyond the end of the file, from page `zerosFrom` on, or for a file not created yet. */
  load(spaceId: number, pageNo: number, into: Uint8Array, zerosFrom = Infinity): void {
    const path = this.pathOf(spaceId);
    if (path === undefined) throw new InputError(`tablespace ${spaceId} has no file to read page ${pageNo} from`);
    if (path === null || pageNo >= zerosFrom) {
      into.fill(0);
      return;
    }
    const ps = this.pageSize;
    let got = 0;
    try {
      let fd = this.fds.get(path);
      if (fd === undefined) this.fds.set(path, (fd = openSync(join(this.dir, path), 'r')));
      while (got < ps) {
        const n = readSync(fd, into, got, ps - got, pageNo * ps + got);
        if (n === 0) break;
        got += n;
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new InputError(`cannot read page ${pageNo} of tablespace ${spaceId} (${code})`, { file: join(this.dir, path), offset: pageNo * ps + got });
    }
    if (got < ps) into.fill(0, got);
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
