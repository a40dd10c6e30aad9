import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@ibarchive/harness';
import { cryptDataOffset, isEncrypted } from '../src/fsp.js';
import { copyDir, hashTree, prepareDir } from './helpers.js';

test('ROW_FORMAT=COMPRESSED and page_compressed tables are refused by name, nothing changed', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'ibarchive-refuse-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  const srv = await startServer();
  const base1 = join(work, 'b1');
  const base2 = join(work, 'b2');
  try {
    await srv.exec('CREATE DATABASE z; CREATE TABLE z.plain (a INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO z.plain VALUES (1)');
    await srv.exec('CREATE TABLE z.small (a INT PRIMARY KEY, b TEXT) ENGINE=InnoDB ROW_FORMAT=COMPRESSED KEY_BLOCK_SIZE=8');
    await srv.backup(base1);
    await srv.exec('DROP TABLE z.small; CREATE TABLE z.pc (a INT PRIMARY KEY) ENGINE=InnoDB PAGE_COMPRESSED=1');
    await srv.backup(base2);
  } finally {
    await srv.kill();
  }
  for (const [b, re] of [
    [base1, /table z\.small \(z\/small\.ibd\) is ROW_FORMAT=COMPRESSED/],
    [base2, /table z\.pc \(z\/pc\.ibd\) is page_compressed/],
  ] as const) {
    const dir = b + '-copy';
    await copyDir(b, dir);
    const before = await hashTree(dir);
    const e = await t.throwsAsync(prepareDir(dir, []), { message: re });
    t.is((e as { errorClass?: string }).errorClass, 'refused');
    t.deepEqual(await hashTree(dir), before);
  }
});

test('crypt data on page 0 marks an encrypted tablespace unless ENCRYPTION=NO', (t) => {
  const ps = 16384;
  const page = new Uint8Array(ps);
  const o = cryptDataOffset(ps);
  t.is(o, 10428);
  t.false(isEncrypted(page, ps));
  page.set([0x73, 0x0e, 0x0c, 0x52, 0x45, 0x74, 1, 16], o);
  page[o + 8 + 16 + 8] = 1;
  t.true(isEncrypted(page, ps));
  page[o + 8 + 16 + 8] = 2;
  t.false(isEncrypted(page, ps));
  page[o + 6] = 0;
  page[o + 8 + 16 + 8] = 0;
  t.false(isEncrypted(page, ps));
});
