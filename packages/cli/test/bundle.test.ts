import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MAIN } from './dump-helpers.js';

/**
 * The bundle (build-bundle.mjs) is what `ibarchive` runs: every worker the
 * code starts by `new URL('./x.js', import.meta.url)` must lie beside it, or
 * that thread fails to start only when a command first needs it.
 */
test('every worker file the bundle starts is in the bundle', (t) => {
  const dir = dirname(MAIN);
  const started = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.js'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/new URL\(["']\.\/([\w.-]+\.js)["'], import\.meta\.url\)/g)) started.add(m[1]!);
  }
  t.deepEqual([...started].sort(), ['apply-worker.js', 'frame-worker.js', 'look-ahead-worker.js', 'segment-writer-worker.js']);
  for (const w of started) t.true(existsSync(join(dir, w)), `${w} beside ${MAIN}`);
  // Workspace packages are inside; only native addons are loaded from node_modules.
  t.false(/from ["']@ibarchive\//.test(readFileSync(MAIN, 'utf8')));
});
