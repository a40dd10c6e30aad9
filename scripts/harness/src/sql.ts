import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { binaries } from './binaries.js';
import { HarnessError } from './errors.js';
import { run } from './run.js';

/** Arguments that make the `mariadb` client talk to one socket as root, tab-separated, no headers. */
export function clientArgs(socket: string): string[] {
  return ['--no-defaults', '--batch', '--skip-column-names', `--socket=${socket}`, '--user=root'];
}

/** Undoes the client's batch-mode escaping of one column (`\t`, `\n`, `\\`, `\0`). */
function unescapeColumn(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(.)/g, (_m, c: string) => {
    switch (c) {
      case 't': return '\t';
      case 'n': return '\n';
      case '0': return '\0';
      default: return c;
    }
  });
}

/** Splits batch-mode output into rows of columns. */
export function parseBatch(stdout: string): string[][] {
  if (stdout === '') return [];
  const lines = stdout.endsWith('\n') ? stdout.slice(0, -1).split('\n') : stdout.split('\n');
  return lines.map((line) => line.split('\t').map(unescapeColumn));
}

/** Runs SQL (one or more statements) through a fresh `mariadb` client; throws with the SQL and stderr on failure. */
export async function clientQuery(socket: string, sql: string, timeoutMs = 600_000): Promise<string[][]> {
  const res = await run(binaries().client, clientArgs(socket), { input: sql, timeoutMs });
  if (res.code !== 0) {
    throw new HarnessError('SQL failed', `${res.stderr.trim()}\nSQL: ${truncate(sql)}`);
  }
  return parseBatch(res.stdout);
}

function truncate(sql: string): string {
  return sql.length > 2000 ? `${sql.slice(0, 2000)}... (${sql.length} chars)` : sql;
}

interface Pending {
  marker: string;
  sql: string;
  resolve: (rows: string[][]) => void;
  reject: (e: Error) => void;
}

/**
 * One long-lived client connection, for work that must keep session state (an open transaction)
 * while other connections run statements. Statements are answered in order; results are
 * delimited by a marker row. The client stops at the first error, so after a failed statement
 * the session is closed and every later call rejects.
 */
export class Session {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private buf = '';
  private stderr = '';
  private seq = 0;
  private closedError: Error | undefined;

  constructor(socket: string) {
    this.child = spawn(binaries().client, [...clientArgs(socket), '--unbuffered'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (s: string) => this.onData(s));
    this.child.stderr.on('data', (s: string) => (this.stderr += s));
    this.child.stdin.on('error', () => {
      /* reported through 'close' */
    });
    this.child.on('error', (e) => this.fail(new HarnessError(`session client failed to run: ${e.message}`)));
    this.child.on('close', (code, signal) => {
      this.fail(new HarnessError(`session closed (client exit ${code ?? signal})`, this.stderr.trim()));
    });
  }

  /** Sends SQL over this session and returns the rows it produced. */
  query(sql: string): Promise<string[][]> {
    if (this.closedError) return Promise.reject(this.closedError);
    const marker = `__END_${++this.seq}__`;
    const body = sql.trimEnd().replace(/;$/, '');
    return new Promise((resolve, reject) => {
      this.queue.push({ marker, sql, resolve, reject });
      this.child.stdin.write(`${body};\nSELECT '${marker}';\n`);
    });
  }

  /** Sends SQL over this session, discarding rows. */
  async exec(sql: string): Promise<void> {
    await this.query(sql);
  }

  /** Ends the client; an open transaction is rolled back by the server when the connection drops. */
  async close(): Promise<void> {
    if (this.closedError) return;
    const done = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.child.stdin.end();
    await done;
  }

  private onData(s: string): void {
    this.buf += s;
    for (;;) {
      const head = this.queue[0];
      if (!head) return;
      const idx = this.buf.indexOf(`${head.marker}\n`);
      if (idx < 0 || (idx > 0 && this.buf[idx - 1] !== '\n')) return;
      const out = this.buf.slice(0, idx);
      this.buf = this.buf.slice(idx + head.marker.length + 1);
      this.queue.shift();
      head.resolve(parseBatch(out));
    }
  }

  private fail(e: Error): void {
    if (this.closedError) return;
    this.closedError = e;
    for (const p of this.queue.splice(0)) {
      p.reject(new HarnessError(e.message, `${this.stderr.trim()}\nSQL: ${truncate(p.sql)}`));
    }
  }
}
