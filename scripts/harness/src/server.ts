import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { backupServer, type BackupResult } from './backup.js';
import { binaries } from './binaries.js';
import { HarnessError } from './errors.js';
import { registerLive, removeAtExit, unregisterLive } from './lifecycle.js';
import { DEFAULT_MARIADBD_OPTIONS, mergeOptions } from './options.js';
import { run } from './run.js';
import { clientArgs, clientQuery, Session } from './sql.js';
import { parseLogStatus, type LogStatus } from './status.js';
import { checkSql, checksumSql, parseCheck, parseChecksums } from './tables.js';
import { provideDatadir } from './template.js';

/** Options of {@link startServer} and {@link startServerOn}. */
export interface ServerOptions {
  /** Extra mariadbd options; they override the harness defaults of the same name. */
  mariadbdOptions?: string[];
  /** Keep the temp directory after stop/kill (also with env IBARCHIVE_KEEP_TMP=1). */
  keep?: boolean;
  /** Milliseconds to wait for the server to answer (default 60 s). */
  startTimeoutMs?: number;
}

/** Options of {@link Server.stop} and {@link Server.kill}. */
export interface StopOptions {
  /** Leave the files in place (e.g. to start again on the data directory); remove later with `removeFiles()`. */
  keepFiles?: boolean;
  /** Milliseconds to wait for a clean shutdown before SIGKILL (default 120 s). */
  timeoutMs?: number;
}

const keepByEnv = (): boolean => process.env.IBARCHIVE_KEEP_TMP === '1';

/** A throwaway mariadbd reachable over a unix socket, started and stopped by pid. */
export class Server {
  /** Directory of this run: socket, pid file, error log (and `data/` for {@link startServer}). */
  readonly runDir: string;
  readonly datadir: string;
  readonly socket: string;
  readonly errorLogPath: string;
  /** Path of the server's circular redo log. */
  readonly logFile: string;
  /** Full mariadbd argument list used. */
  readonly args: string[];
  private child: ChildProcess | undefined;
  private exited: Promise<void>;
  private exitStatus: string | undefined;
  private lastErrorLog = '';
  private readonly keep: boolean;

  private constructor(runDir: string, datadir: string, options: string[], keep: boolean) {
    this.runDir = runDir;
    this.datadir = datadir;
    this.socket = join(runDir, 'mysql.sock');
    this.errorLogPath = join(runDir, 'error.log');
    this.logFile = join(datadir, 'ib_logfile0');
    this.keep = keep;
    this.args = [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${this.socket}`,
      '--skip-networking',
      '--user=root',
      `--pid-file=${join(runDir, 'mariadbd.pid')}`,
      `--log-error=${this.errorLogPath}`,
      ...mergeOptions(DEFAULT_MARIADBD_OPTIONS, options),
    ];
    this.exited = Promise.resolve();
  }

  /** @internal Starts mariadbd on `datadir` with a new run directory. */
  static async launch(datadir: string, runDir: string, opts: ServerOptions): Promise<Server> {
    const keep = opts.keep === true || keepByEnv();
    const srv = new Server(runDir, datadir, opts.mariadbdOptions ?? [], keep);
    await srv.spawn(opts.startTimeoutMs ?? 60_000);
    return srv;
  }

  /** Process id of the running mariadbd. */
  get pid(): number {
    if (!this.child?.pid) throw new HarnessError('server is not running');
    return this.child.pid;
  }

  /** Whether mariadbd is still running. */
  get running(): boolean {
    return this.exitStatus === undefined && this.child !== undefined;
  }

  private async spawn(timeoutMs: number): Promise<void> {
    const child = spawn(binaries().mariadbd, this.args, { stdio: 'ignore' });
    this.child = child;
    this.exitStatus = undefined;
    this.exited = new Promise((res) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = signal ? `signal ${signal}` : `exit code ${code}`;
        if (child.pid) unregisterLive(child.pid);
        res();
      });
      child.once('error', (e) => {
        this.exitStatus = `spawn error: ${e.message}`;
        res();
      });
    });
    if (child.pid) registerLive(child.pid, this.keep ? undefined : this.runDir);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitStatus !== undefined) {
        throw new HarnessError(`mariadbd exited during start-up (${this.exitStatus})`, this.errorLogTail());
      }
      const ping = await run(binaries().client, [...clientArgs(this.socket), '--connect-timeout=2'], {
        input: 'SELECT 1',
        timeoutMs: 10_000,
      }).catch(() => undefined);
      if (ping?.code === 0) return;
      if (Date.now() > deadline) {
        await this.kill({ keepFiles: true });
        throw new HarnessError(`mariadbd did not answer within ${timeoutMs} ms`, this.errorLogTail());
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Full text of the server's error log. */
  errorLog(): string {
    if (existsSync(this.errorLogPath)) this.lastErrorLog = readFileSync(this.errorLogPath, 'utf8');
    return this.lastErrorLog;
  }

  /** Lines of the error log containing `[ERROR]`. */
  errorLines(): string[] {
    return this.errorLog()
      .split('\n')
      .filter((l) => l.includes('[ERROR]'));
  }

  private errorLogTail(lines = 40): string {
    const text = this.errorLog().trimEnd().split('\n');
    return `error log (${this.errorLogPath}), last ${lines} lines:\n${text.slice(-lines).join('\n')}`;
  }

  /** Runs SQL through a new client connection and returns the rows (tab-separated columns). */
  query(sql: string): Promise<string[][]> {
    return clientQuery(this.socket, sql);
  }

  /** Runs SQL through a new client connection, discarding rows. */
  async exec(sql: string): Promise<void> {
    await clientQuery(this.socket, sql);
  }

  /** Opens a long-lived connection (for holding a transaction open). Close it with `close()`. */
  session(): Session {
    return new Session(this.socket);
  }

  /** LSN figures from SHOW ENGINE INNODB STATUS. */
  async logStatus(): Promise<LogStatus> {
    const rows = await this.query('SHOW ENGINE INNODB STATUS');
    return parseLogStatus(rows[0]?.[2] ?? '');
  }

  /** "Log sequence number" of SHOW ENGINE INNODB STATUS. */
  async lsn(): Promise<bigint> {
    return (await this.logStatus()).lsn;
  }

  /** "Last checkpoint at" of SHOW ENGINE INNODB STATUS. */
  async checkpointLsn(): Promise<bigint> {
    return (await this.logStatus()).checkpointLsn;
  }

  /** `CHECKSUM TABLE ... EXTENDED` of `db.table` names; a missing table maps to 'NULL'. */
  async checksums(tables: string[]): Promise<Record<string, string>> {
    if (tables.length === 0) return {};
    return parseChecksums(tables, await this.query(checksumSql(tables)));
  }

  /** `CHECK TABLE ... EXTENDED`: per table 'OK', or the messages reported. */
  async checkTables(tables: string[]): Promise<Record<string, string>> {
    if (tables.length === 0) return {};
    return parseCheck(tables, await this.query(checkSql(tables)));
  }

  /** Takes a mariadb-backup backup of this server into `targetDir`. */
  backup(targetDir: string, extraArgs: string[] = []): Promise<BackupResult> {
    return backupServer(this.socket, this.datadir, resolve(targetDir), extraArgs);
  }

  /** Clean shutdown: SIGTERM, wait for exit (SIGKILL after the timeout), then remove the temp dir. */
  async stop(opts: StopOptions = {}): Promise<void> {
    if (this.running) {
      const pid = this.pid;
      process.kill(pid, 'SIGTERM');
      const timeoutMs = opts.timeoutMs ?? 120_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        process.kill(pid, 'SIGKILL');
        await this.exited;
        this.errorLog();
        await this.finish(opts);
        throw new HarnessError(`mariadbd (pid ${pid}) did not shut down within ${timeoutMs} ms; killed`, this.errorLogTail());
      }
    }
    this.errorLog();
    await this.finish(opts);
  }

  /** Immediate SIGKILL (a crash), then removal of the temp dir unless kept. */
  async kill(opts: StopOptions = {}): Promise<void> {
    if (this.running) {
      process.kill(this.pid, 'SIGKILL');
      await this.exited;
    }
    this.errorLog();
    await this.finish(opts);
  }

  /** Removes the run directory (and the data directory when the harness created it). */
  async removeFiles(): Promise<void> {
    this.errorLog();
    await rm(this.runDir, { recursive: true, force: true });
  }

  private async finish(opts: StopOptions): Promise<void> {
    if (this.keep) return;
    if (opts.keepFiles === true) removeAtExit(this.runDir);
    else await this.removeFiles();
  }
}

function newRunDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'ibarchive-'));
}

/** Starts a fresh server on a newly initialised data directory under a temp dir. */
export async function startServer(opts: ServerOptions = {}): Promise<Server> {
  const runDir = await newRunDir();
  const datadir = join(runDir, 'data');
  try {
    await provideDatadir(datadir, mergeOptions(DEFAULT_MARIADBD_OPTIONS, opts.mariadbdOptions ?? []));
    return await Server.launch(datadir, runDir, opts);
  } catch (e) {
    if (!(opts.keep === true || keepByEnv())) await rm(runDir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Starts a server on an existing data directory (e.g. a prepared backup). The socket, pid file and
 * error log go to a new temp run directory; the data directory itself is never removed.
 */
export async function startServerOn(datadir: string, opts: ServerOptions = {}): Promise<Server> {
  const runDir = await newRunDir();
  try {
    return await Server.launch(resolve(datadir), runDir, opts);
  } catch (e) {
    if (!(opts.keep === true || keepByEnv())) await rm(runDir, { recursive: true, force: true });
    throw e;
  }
}
