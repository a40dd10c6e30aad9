import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Lsn, readMtrBatches } from '@ibarchive/parser';
import { openArchive } from '../src/index.js';

/** A fresh temp directory removed at teardown. */
export async function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'ibarchive-test-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** Decodes the whole archive from its start; returns the end LSN, why it ended, and the mtr count. */
export async function decodeArchive(dir: string, from?: Lsn): Promise<{ start: Lsn; end: Lsn; reason: string; mtrs: number }> {
  const a = await openArchive(dir);
  const start = from ?? a.startLsn;
  let mtrs = 0;
  for await (const r of readMtrBatches(a.source(), start)) {
    if (r.kind === 'end') return { start, end: r.endLsn, reason: r.reason, mtrs };
    mtrs += r.count;
  }
  throw new Error('no end');
}

export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
