import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, RefusedError } from '@ibarchive/parser';
import { isAllZero, isEncrypted, pageSizeOfFlags, readFspHeader, unsupportedFlags } from './fsp.js';

/** One data file of the target directory, identified by its page 0. */
export interface TablespaceFile {
  /** Path relative to the target directory once backup DDL markers are handled. */
  readonly path: string;
  /** Path that holds the bytes now (differs for `.new` files and pending renames). */
  readonly source: string;
  /** Space id from page 0; undefined when page 0 is all zero (created later in the log). */
  readonly spaceId: number | undefined;
  readonly flags: number | undefined;
  /** FSP_SIZE in pages from page 0 (0 when unknown). */
  readonly fspSize: number;
  readonly fileBytes: number;
  readonly kind: 'system' | 'undo' | 'table';
}

/** What the scan found: the instance page size and the files by space id. */
export interface TablespaceScan {
  readonly pageSize: number;
  readonly files: TablespaceFile[];
  readonly byId: Map<number, TablespaceFile>;
}

/** `db/t#P#p0.ibd` -> "table db.t (partition p0)", for refusal messages. */
export function describeTablespace(path: string): string {
  const m = /^(?:\.\/)?([^/]+)\/(.+)\.ibd$/.exec(path);
  if (!m) return path;
  const [table, part] = m[2]!.split(/#P#/i);
  return `table ${m[1]}.${table}${part ? ` (partition ${part.replace(/#SP#/i, ' subpartition ')})` : ''} (${path})`;
}

async function readHead(path: string): Promise<{ head: Uint8Array; size: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = new Uint8Array(Math.min(size, 65536));
    await fh.read(head, 0, head.length, 0);
    return { head, size };
  } finally {
    await fh.close();
  }
}

function kindOf(path: string): TablespaceFile['kind'] | undefined {
  if (path === 'ibdata1') return 'system';
  if (/^undo\d{3}$/.test(path)) return 'undo';
  if (path.endsWith('.ibd')) return 'table';
  return undefined;
}

/**
 * Reads page 0 of every tablespace file in `layout` (final path -> current
 * path, see layoutAfterDdl) plus `ibdata1` and `undoNNN`. Refuses, by name,
 * ROW_FORMAT=COMPRESSED, page_compressed and encrypted tablespaces, and page
 * sizes other than the system tablespace's.
 */
export async function scanTablespaces(dir: string, files: string[], layout: Map<string, string>): Promise<TablespaceScan> {
  const entries: Array<[string, string]> = [];
  for (const f of files) if (kindOf(f) === 'system' || kindOf(f) === 'undo') entries.push([f, f]);
  for (const [path, source] of layout) entries.push([path, source]);
  if (!entries.some(([p]) => p === 'ibdata1')) throw new InputError(`no ibdata1 in ${dir}: not a MariaDB data directory or backup`);
  if (files.includes('ibdata2')) throw new RefusedError('several system tablespace files (ibdata2) are not supported');

  const out: TablespaceFile[] = [];
  let pageSize = 0;
  for (const [path, source] of entries) {
    const kind = kindOf(path)!;
    const { head, size } = await readHead(join(dir, source));
    const page0 = head.subarray(0, Math.min(head.length, 16384));
    if (head.length < 4096 || isAllZero(page0)) {
      out.push({ path, source, spaceId: undefined, flags: undefined, fspSize: 0, fileBytes: size, kind });
      continue;
    }
    const h = readFspHeader(head);
    const why = unsupportedFlags(h.flags);
    if (why) throw new RefusedError(`${describeTablespace(path)} is ${why}; prepare supports neither ROW_FORMAT=COMPRESSED, page_compressed nor encrypted tablespaces`);
    const ps = pageSizeOfFlags(h.flags);
    if (head.length >= ps && isEncrypted(head.subarray(0, ps), ps)) {
      throw new RefusedError(`${describeTablespace(path)} is encrypted; prepare supports neither ROW_FORMAT=COMPRESSED, page_compressed nor encrypted tablespaces`);
    }
    if (kind === 'system') pageSize = ps;
    out.push({ path, source, spaceId: h.spaceId, flags: h.flags, fspSize: h.size, fileBytes: size, kind });
  }
  if (!pageSize) throw new InputError(`${join(dir, 'ibdata1')}: page 0 is empty or unreadable`);
  const byId = new Map<number, TablespaceFile>();
  for (const f of out) {
    if (f.flags !== undefined && pageSizeOfFlags(f.flags) !== pageSize) {
      throw new RefusedError(`${describeTablespace(f.path)} has page size ${pageSizeOfFlags(f.flags)}, the instance ${pageSize}`);
    }
    if (f.spaceId === undefined) continue;
    const prev = byId.get(f.spaceId);
    if (prev) throw new InputError(`space id ${f.spaceId} is in two files: ${prev.path} and ${f.path}`);
    byId.set(f.spaceId, f);
  }
  return { pageSize, files: out, byId };
}
