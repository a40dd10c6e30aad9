// Bundles the built `ibarchive` command (dist/, all workspace packages) into bundle/: one file for
// the command and one per worker thread, beside it under the name the code starts it by
// (`new URL('./apply-worker.js', import.meta.url)`). Loading one module instead of ~110 takes a
// third of the time, in every thread; on the prepare bench 2.57 -> 2.40 s (medians of 6).
// Native addons stay outside (they are found in node_modules from here).
import { build } from 'esbuild';
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'bundle');
const pkg = (name) => join(here, '..', name, 'dist', 'src');

/** Every worker the packages start, by the file name they start it by. */
const workers = [
  join(pkg('prepare'), 'apply-worker.js'),
  join(pkg('prepare'), 'look-ahead-worker.js'),
  join(pkg('log-archiver'), 'segment-writer-worker.js'),
  join(pkg('parser'), 'parallel', 'frame-worker.js'),
];

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { ibarchive: join(here, 'dist', 'src', 'main.js'), ...Object.fromEntries(workers.map((w) => [w.split('/').pop().replace(/\.js$/, ''), w])) },
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['lz4', 'lz4-napi', '@node-rs/crc32'],
  // commander is CommonJS: its require() calls of node: modules need a real require in an ES module.
  banner: { js: "import { createRequire as __ibarchiveRequire } from 'node:module'; const require = __ibarchiveRequire(import.meta.url);" },
  logLevel: 'warning',
});
chmodSync(join(out, 'ibarchive.js'), 0o755);
console.log(`bundle: ${readdirSync(out).join(', ')}`);
