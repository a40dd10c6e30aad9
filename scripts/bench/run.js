#!/usr/bin/env node
// Runs every scripts/bench/*.bench.js in name order, each in its own node process.
// Usage: npm run bench [-- NAME_SUBSTRING]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const benches = readdirSync(dir).filter((f) => f.endsWith('.bench.js') && f.includes(filter)).sort();
let failed = 0;
for (const b of benches) {
  console.log(`=== ${b}`);
  const r = spawnSync(process.execPath, [join(dir, b)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`${b} failed (exit ${r.status ?? r.signal})`);
  }
}
if (benches.length === 0) console.log('no scripts/bench/*.bench.js found');
process.exitCode = failed ? 1 : 0;
