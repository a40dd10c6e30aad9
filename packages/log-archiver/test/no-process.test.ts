import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

test('core package: no source file touches `process` (pid, signals, argv, exit come from the CLI)', (t) => {
  const files = readdirSync(SRC).filter((n) => n.endsWith('.ts'));
  t.true(files.length > 10, `${files.length} source files`);
  const uses = files.flatMap((n) =>
    readFileSync(SRC + n, 'utf8')
      .split('\n')
      .map((line, i) => ({ where: `${n}:${i + 1}`, line }))
      .filter(({ line }) => /\bprocess\.\w/.test(line.replace(/\/\/.*$/, ''))),
  );
  t.deepEqual(uses.map((u) => `${u.where}: ${u.line.trim()}`), []);
});
