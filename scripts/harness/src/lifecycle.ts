import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

/** A started mariadbd that must not outlive this process, and the directory to remove with it. */
interface Live {
  pid: number;
  removeDir: string | undefined;
}

const live = new Map<number, Live>();
const dirsAtExit = new Set<string>();
let hooked = false;

function killAllSync(): void {
  for (const l of live.values()) {
    try {
      process.kill(l.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const l of live.values()) {
    if (l.removeDir) rmSync(l.removeDir, { recursive: true, force: true });
  }
  live.clear();
  for (const d of dirsAtExit) rmSync(d, { recursive: true, force: true });
  dirsAtExit.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllSync();
      process.kill(process.pid, sig);
    });
  }
}

/** Removes a directory when this Node process exits. */
export function removeAtExit(dir: string): void {
  hook();
  dirsAtExit.add(dir);
}

/**
 * Records a server so that it is SIGKILLed (and its temp dir removed) when this Node process exits
 * or is interrupted, and starts a watchdog shell that does the same if this process dies by SIGKILL.
 */
export function registerLive(pid: number, removeDir: string | undefined): void {
  live.set(pid, { pid, removeDir });
  hook();
  // Polls both pids: leaves when the server ends, kills it when this process is gone.
  const script =
    'P=$1; C=$2; D=$3; while kill -0 "$P" 2>/dev/null; do kill -0 "$C" 2>/dev/null || exit 0; sleep 1; done; ' +
    'kill -9 "$C" 2>/dev/null; sleep 1; [ -n "$D" ] && rm -rf "$D"; exit 0';
  const dog = spawn('sh', ['-c', script, 'ibarchive-watchdog', String(process.pid), String(pid), removeDir ?? ''], {
    detached: true,
    stdio: 'ignore',
  });
  dog.unref();
}

/** Forgets a server that has exited. */
export function unregisterLive(pid: number): void {
  live.delete(pid);
}
