import { spawn } from 'node:child_process';
import { HarnessError } from './errors.js';

/** Result of a finished child process. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  input?: string;
  cwd?: string;
  /** Milliseconds before the child is killed with SIGKILL and the run fails. */
  timeoutMs?: number;
}

/** Runs a program to completion, capturing its output; never throws on a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {
      /* EPIPE when the child exits early; its exit status reports the failure. */
    });
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new HarnessError(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const res = { code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (timedOut) {
        reject(new HarnessError(`${cmd} timed out after ${opts.timeoutMs} ms`, `${args.join(' ')}\n${res.stderr}`));
      } else {
        resolve(res);
      }
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a program and throws a {@link HarnessError} with its stderr unless it exits 0. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) {
    throw new HarnessError(
      `${cmd} failed (exit ${res.code ?? res.signal})`,
      `args: ${args.join(' ')}\n${res.stderr.trim() || res.stdout.slice(-4000)}`,
    );
  }
  return res;
}
