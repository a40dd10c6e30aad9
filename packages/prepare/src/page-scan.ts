import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { formatLsn, type Lsn } from '@ibarchive/parser';
import { pageLsnNumber } from './fsp.js';
import type { TablespaceScan } from './tablespaces.js';

/** The first page found whose FIL_PAGE_LSN is beyond a limit. */
export interface NewerPage {
  readonly file: string;
  readonly pageNo: number;
  readonly pageLsn: Lsn;
}

/** Page ranges of ibdata1's doublewrite buffer (copies of other pages), from the TRX_SYS page. */
async function doublewritePages(path: string, ps: number): Promise<Array<[number, number]>> {
  const fh = await open(path, 'r');
  try {
    const page = new Uint8Array(ps);
    const { bytesRead } = await fh.read(page, 0, ps, 5 * ps);
    if (bytesRead < ps) return [];
    const dv = new DataView(page.buffer);
    const at = ps - 200;
    if (dv.getUint32(at + 10) !== 536853855) return [];
    const extent = ps <= 4096 ? 256 : ps === 8192 ? 128 : 64;
    const b1 = dv.getUint32(at + 14);
    const b2 = dv.getUint32(at + 18);
    return [
      [b1, b1 + extent],
      [b2, b2 + extent],
    ];
  } finally {
    await fh.close();
  }
}

/**
 * Reads every page of every tablespace file and returns the first whose
 * FIL_PAGE_LSN exceeds `limit` (the doublewrite buffer of ibdata1 aside).
 * Used before changing anything when the target lies below what the base's
 * pages may already contain.
 */
export async function findNewerPage(dir: string, scan: TablespaceScan, limit: Lsn): Promise<NewerPage | undefined> {
  const ps = scan.pageSize;
  const lim = Number(limit);
  const chunk = new Uint8Array(ps * 256);
  for (const f of scan.files) {
    const path = join(dir, f.source);
    const skip = f.kind === 'system' ? await doublewritePages(path, ps) : [];
    const fh = await open(path, 'r');
    try {
      for (let pos = 0; ; pos += chunk.length) {
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
        const n = Math.floor(bytesRead / ps);
        for (let i = 0; i < n; i++) {
          const pageNo = pos / ps + i;
          const lsn = pageLsnNumber(chunk, i * ps);
          if (lsn > lim && !skip.some(([a, b]) => pageNo >= a && pageNo < b)) {
            return { file: f.path, pageNo, pageLsn: BigInt(lsn) };
          }
        }
        if (bytesRead < chunk.length) break;
      }
    } finally {
      await fh.close();
    }
  }
  return undefined;
}

/** "db/t.ibd page 3 has LSN 123" */
export function describeNewerPage(p: NewerPage): string {
  return `${p.file} page ${p.pageNo} has LSN ${formatLsn(p.pageLsn)}`;
}
