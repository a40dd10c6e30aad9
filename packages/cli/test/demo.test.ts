import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

test('scripts/demo restores a dropped table to the checksums it had before the accident, in under 3 minutes', async (t) => {
  const t0 = Date.now();
  // Set-up is what the test suite already did (scripts/test runs scripts/setup first).
  const child = spawn('scripts/demo', [], { cwd: ROOT, env: { ...process.env, IBARCHIVE_DEMO_SKIP_SETUP: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (out += String(d)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.is(code, 0, out);
  t.regex(out, /RESULT: SUCCESS: the dropped table is back/);
  t.regex(out, /live server +shop\.orders exists: no \(dropped\)/);
  for (const table of ['shop.customers', 'shop.orders', 'shop.order_lines']) {
    const m = new RegExp(`^${table.replace('.', '\\.')} +(\\d+) +(\\d+) +OK`, 'm').exec(out);
    t.truthy(m, `summary line for ${table}`);
    t.is(m![1], m![2], `${table}: restored checksum equals the live one before the accident`);
  }
  t.true(Date.now() - t0 < 180_000);
});
