import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArchiveEvent, type ArchiverOptions, type ArchiverSummary, runArchiver } from '@ibarchive/log-archiver';
import { formatLsn, type Lsn } from '@ibarchive/parser';
import { startServer, type Server } from '@ibarchive/harness';
import { makeOutput } from '../src/output.js';
import { run } from '../src/run.js';

/** Runs the whole CLI in-process (every command registered), as main.ts does. */
export async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[]; text: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = makeOutput(
    (s) => out.push(...s.replace(/\n$/, '').split('\n')),
    (s) => err.push(...s.replace(/\n$/, '').split('\n')),
  );
  const code = await run(argv, io);
  return { code, out, err, text: [...out, ...err].join('\n') };
}

/** Parses the single JSON object a --json command printed. */
export function jsonOut(r: { out: string[] }): Record<string, any> {
  return JSON.parse(r.out.join('\n')) as Record<string, any>;
}

/** A temp directory removed at teardown (unless IBARCHIVE_KEEP_TMP=1). */
export async function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'ibarchive-pitr-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => (process.env['IBARCHIVE_KEEP_TMP'] === '1' ? undefined : rm(d, { recursive: true, force: true })));
  return d;
}

/** Copies a directory tree (a backup, an archive). */
export async function copyTree(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, preserveTimestamps: true });
}

export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An archiver following a server's log in-process, with its progress. */
export interface Follower {
  /** End of the last segment written (durable). */
  durable(): Lsn;
  events: ArchiveEvent[];
  /** Waits until a segment ending at or after `lsn` is on disk. */
  waitDurable(lsn: Lsn, timeoutMs?: number): Promise<void>;
  stop(): Promise<ArchiverSummary>;
}

/** Starts runArchiver on `srv`'s log into `archiveDir` (fast polling, 1 s segments). */
export function follow(srv: Server, archiveDir: string, opts: Partial<ArchiverOptions> = {}): Follower {
  const ac = new AbortController();
  const events: ArchiveEvent[] = [];
  let durable: Lsn = 0n;
  const done = runArchiver({
    logPath: join(srv.datadir, 'ib_logfile0'),
    archiveDir,
    pollIntervalMs: 20,
    segmentSeconds: 1,
    signal: ac.signal,
    pid: process.pid,
    ...opts,
    onEvent: (e) => {
      if (e.type === 'segment') durable = e.endLsn;
      if (e.type !== 'progress') events.push(e);
    },
  });
  let failed: unknown;
  done.catch((e: unknown) => (failed = e));
  return {
    durable: () => durable,
    events,
    waitDurable: (lsn, timeoutMs = 30_000) =>
      waitFor(
        () => {
          if (failed) throw failed;
          return durable >= lsn;
        },
        timeoutMs,
        `archiver to make LSN ${formatLsn(lsn)} durable`,
      ),
    stop: async () => {
      ac.abort();
      return done;
    },
  };
}

/** A throwaway server with an archiver following it into `archiveDir`, both stopped at teardown. */
export async function archivedServer(
  t: { teardown(fn: () => unknown): void },
  archiveDir: string,
  opts: Partial<ArchiverOptions> = {},
): Promise<{ srv: Server; f: Follower }> {
  const srv = await startServer();
  t.teardown(() => srv.stop().catch(() => undefined));
  const f = follow(srv, archiveDir, opts);
  t.teardown(() => f.stop().catch(() => undefined));
  return { srv, f };
}
