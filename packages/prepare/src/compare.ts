import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listFiles } from './backup-ddl.js';

/** The first difference between two prepared directories. */
export interface DirDifference {
  readonly file: string;
  /** 'missing-left' / 'missing-right': the file exists on one side only; 'size': lengths differ; 'bytes': content differs. */
  readonly kind: 'missing-left' | 'missing-right' | 'size' | 'bytes';
  readonly pageNo?: number;
  /** Byte offset within the page. */
  readonly offset?: number;
  readonly left?: number;
  readonly right?: number;
}

const isTablespace = (f: string) => f === 'ibdata1' || /^undo\d{3}$/.test(f) || f.endsWith('.ibd');

/** Doublewrite buffer pages of ibdata1 (copies of pages in flight; not data), from TRX_SYS. */
function doublewriteRange(trxSys: Uint8Array, ps: number): Array<[number, number]> {
  const dv = new DataView(trxSys.buffer, trxSys.byteOffset, trxSys.byteLength);
  const at = ps - 200;
  if (trxSys.length < ps || dv.getUint32(at + 10) !== 536853855) return [];
  const b1 = dv.getUint32(at + 14);
  const b2 = dv.getUint32(at + 18);
  return [
    [b1, b1 + 64],
    [b2, b2 + 64],
  ];
}

/**
 * Compares every page of every tablespace file (`ibdata1`, `undoNNN`, `*.ibd`)
 * of two directories, the doublewrite area of ibdata1 aside (and pages
 * `ignorePage` names), and returns every file's first difference (empty when
 * identical).
 */
export async function comparePreparedDirs(
  left: string,
  right: string,
  pageSize = 16384,
  ignorePage: (file: string, pageNo: number) => boolean = () => false,
): Promise<DirDifference[]> {
  const l = (await listFiles(left)).filter(isTablespace);
  const r = (await listFiles(right)).filter(isTablespace);
  const out: DirDifference[] = [];
  for (const f of r) if (!l.includes(f)) out.push({ file: f, kind: 'missing-left' });
  for (const f of l) {
    if (!r.includes(f)) {
      out.push({ file: f, kind: 'missing-right' });
      continue;
    }
    const [sl, sr] = [await stat(join(left, f)), await stat(join(right, f))];
    if (sl.size !== sr.size) {
      out.push({ file: f, kind: 'size', left: sl.size, right: sr.size });
    }
    const a = await open(join(left, f), 'r');
    const b = await open(join(right, f), 'r');
    try {
      let skip: Array<[number, number]> = [];
      if (f === 'ibdata1') {
        const p = new Uint8Array(pageSize);
        await a.read(p, 0, pageSize, 5 * pageSize);
        skip = doublewriteRange(p, pageSize);
      }
      const n = Math.min(sl.size, sr.size);
      const chunk = pageSize * 64;
      const ba = new Uint8Array(chunk);
      const bb = new Uint8Array(chunk);
      let found = false;
      for (let pos = 0; pos < n && !found; pos += chunk) {
        const len = Math.min(chunk, n - pos);
        await a.read(ba, 0, len, pos);
        await b.read(bb, 0, len, pos);
        if (Buffer.compare(ba.subarray(0, len), bb.subarray(0, len)) === 0) continue;
        for (let i = 0; i < len; i++) {
          if (ba[i] === bb[i]) continue;
          const pageNo = Math.floor((pos + i) / pageSize);
          if (skip.some(([s, e]) => pageNo >= s && pageNo < e) || ignorePage(f, pageNo)) {
            i = (pageNo + 1) * pageSize - pos - 1;
            continue;
          }
          out.push({ file: f, kind: 'bytes', pageNo, offset: (pos + i) % pageSize, left: ba[i]!, right: bb[i]! });
          found = true;
          break;
        }
      }
    } finally {
      await a.close();
      await b.close();
    }
  }
  return out;
}

/** One line per difference: `db/t.ibd page 3 offset 0x10: 12 != 13`. */
export function describeDifference(d: DirDifference): string {
  if (d.kind === 'missing-left' || d.kind === 'missing-right') return `${d.file}: only in the ${d.kind === 'missing-left' ? 'right' : 'left'} directory`;
  if (d.kind === 'size') return `${d.file}: size ${d.left} != ${d.right}`;
  return `${d.file} page ${d.pageNo} offset 0x${d.offset!.toString(16)}: ${d.left!.toString(16)} != ${d.right!.toString(16)}`;
}
