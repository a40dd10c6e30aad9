import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The worker of readMtrBatches({ worker: true }) never outlives its reader:
 * each case runs in a child process that must exit on its own, and reports
 * the process's thread count (/proc/self/status) before the read, while the
 * worker runs, and after the reader was closed.
 */

const INDEX = new URL('../src/index.js', import.meta.url).href;
const BUILDER = new URL('./builder.js', import.meta.url).href;

const script = (body: string) => `
import { readFileSync } from 'node:fs';
import { linearSource, readMtrBatches } from ${JSON.stringify(INDEX)};
import { linearLog, sampleMtrs } from ${JSON.stringify(BUILDER)};
const threads = () => Number(/Threads:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const settle = () => new Promise((r) => setTimeout(r, 200));
const src = linearSource('seg', 0n, linearLog(sampleMtrs(3000, 5)));
const open = () => readMtrBatches(src, 0n, { worker: true, batchBytes: 4096 });
await settle();
const before = threads();
let during = 0;
${body}
await settle();
console.log(JSON.stringify({ before, during, after: threads() }));
`;

function runChild(body: string) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(body)], { encoding: 'utf8', timeout: 20000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const CASES: Record<string, string> = {
  'break after the first batch': `
for await (const b of open()) { during = threads(); break; }`,
  'an exception thrown in the loop': `
try { for await (const b of open()) { during = threads(); throw new Error('consumer failed'); } } catch (e) { if (e.message !== 'consumer failed') throw e; }`,
  'read to the end': `
let n = 0; for await (const b of open()) { if (b.kind === 'batch') { n += b.count; during ||= threads(); } else if (b.reason !== 'eof' || n !== 3000) throw new Error('bad end'); }`,
};

for (const [name, body] of Object.entries(CASES)) {
  test(`the worker ends with its reader: ${name}`, (t) => {
    const r = runChild(body);
    t.is(r.status, 0, r.stderr);
    const { before, during, after } = JSON.parse(r.stdout) as { before: number; during: number; after: number };
    t.true(during > before, `a worker thread ran (${before} -> ${during})`);
    t.is(after, before, 'no thread left after the reader closed');
  });
}

test('a reader dropped without being closed does not keep the process alive', (t) => {
  const r = runChild(`
const it = open();
const first = await it.next();
during = threads();
if (first.value.kind !== 'batch') throw new Error('no batch');`);
  t.is(r.signal, null, 'exited by itself, not killed by the timeout');
  t.is(r.status, 0, r.stderr);
});

test('the worker file resolves from the compiled package', (t) => {
  t.true(fileURLToPath(new URL('../src/parallel/frame-worker.js', import.meta.url)).endsWith('dist/src/parallel/frame-worker.js'));
});
