// Builds native/build/ibcrc.node (native/crc32c_batch.c) with the C compiler and Node's own
// headers. Optional: without a compiler or headers the parser checks mtr CRCs in JavaScript
// (slower, same results), so a failure here is a warning, not an error.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'native', 'build', 'ibcrc.node');
const includes = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
const include = includes.find((d) => existsSync(join(d, 'node_api.h')));
const cc = process.env.CC ?? 'cc';
try {
  if (!include) throw new Error(`no node_api.h in ${includes.join(', ')}`);
  mkdirSync(dirname(out), { recursive: true });
  execFileSync(cc, ['-O2', '-shared', '-fPIC', '-pthread', `-I${include}`, '-o', `${out}.tmp`, join(here, 'native', 'crc32c_batch.c')], { stdio: ['ignore', 'inherit', 'inherit'] });
  renameSync(`${out}.tmp`, out);
} catch (e) {
  console.warn(`parser: native CRC-32C not built (${e.message.split('\n')[0]}); mtr CRCs are checked in JavaScript`);
}
