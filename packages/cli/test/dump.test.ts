import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, encodeCheckpointBlock, encodeLogHeader, memoryFile, openCircularLog, readMtrBatches, RecordReader, WRITE } from '@ibarchive/parser';
import { MAIN, ROOT, runCli, spawnCli } from './dump-helpers.js';

/**
 * `ibarchive dump` over the real fixtures of testdata/ (see testdata/README):
 * golden `--stats --json` output checked in beside each fixture (regenerate
 * with UPDATE_GOLDEN=1 after a deliberate change), the end LSN equal to the
 * server's LSN recorded in meta.json, and the error paths as a process.
 */

const FIXTURES: { dir: string; serverLsn: (meta: Record<string, unknown>) => string }[] = [
  { dir: 'server-wrapped', serverLsn: (m) => String(m['lsn']) },
  { dir: 'server-fresh', serverLsn: (m) => String(m['lsn']) },
  { dir: 'backup', serverLsn: (m) => /last_lsn = (\d+)/.exec(String(m['xtrabackupCheckpoints']))![1]! },
];

for (const f of FIXTURES) {
  const dir = join(ROOT, 'testdata', f.dir);
  test(`golden: dump --stats --json of testdata/${f.dir}`, async (t) => {
    if (!existsSync(join(dir, 'meta.json'))) return t.fail(`fixture testdata/${f.dir} missing`);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
    const res = await runCli(['dump', dir, '--stats', '--json']);
    t.is(res.code, 0, res.err.join('\n'));
    t.is(res.out.length, 1);
    const got = JSON.parse(res.out[0]!) as { summary: { endLsn: string; endReason: string; mtrs: number }; types: Record<string, unknown> };
    t.is(got.summary.endLsn, f.serverLsn(meta), 'end LSN = the server LSN recorded when the fixture was made');
    const expectedFile = join(dir, 'dump-stats.expected.json');
    if (process.env['UPDATE_GOLDEN']) writeFileSync(expectedFile, JSON.stringify(got, null, 2) + '\n');
    t.deepEqual(got, JSON.parse(readFileSync(expectedFile, 'utf8')), 'if the fixture was remade on purpose: UPDATE_GOLDEN=1 npx ava dist/test/dump.test.js');
  });
}

test('dump prints one line per record and the end line; filters select records', async (t) => {
  const dir = join(ROOT, 'testdata', 'backup');
  const all = await runCli(['dump', dir]);
  t.is(all.code, 0, all.err.join('\n'));
  t.regex(all.out[0]!, /^# mariadb-backup log .*ib_logfile0 \(Backup 10\.11\.19, first_lsn \d+/);
  t.regex(all.out.at(-1)!, /^# first mtr LSN \d+, last mtr LSN \d+, end LSN 4831623; \d+ mtrs; stopped: end of log: the next mtr has the sequence bit of another pass over the ring at LSN 4831623 \(.*ib_logfile0, offset 0x3000\)$/);
  const records = all.out.slice(1, -1);
  t.true(records.length > 1000);
  for (const l of records.slice(0, 200)) t.regex(l, /^\d+ [A-Z_]+( \d+:\d+)?( .*)?$/);

  const first = /^(\d+) /.exec(records[0]!)![1]!;
  const mid = /^(\d+) /.exec(records[Math.floor(records.length / 2)]!)![1]!;
  const ranged = await runCli(['dump', dir, '--json', '--to-lsn', mid]);
  const objs = ranged.out.map((l) => JSON.parse(l) as Record<string, unknown>);
  const end = objs.pop()! as { end: { summary: { endReason: string; firstLsn: string } } };
  t.is(end.end.summary.endReason, 'to-lsn');
  t.is(end.end.summary.firstLsn, first);
  t.true(objs.every((o) => BigInt(o['lsn'] as string) < BigInt(mid)));

  const w = await runCli(['dump', dir, '--json', '--type', 'WRITE,UNDO_APPEND', '--space', '0']);
  const ws = w.out.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.true(ws.length > 0);
  t.true(ws.every((o) => (o['type'] === 'WRITE' || o['subtype'] === 'UNDO_APPEND') && o['space'] === 0));
  t.true(ws.some((o) => o['type'] === 'EXTENDED'));
  const p = ws.find((o) => o['type'] === 'WRITE')!;
  const pg = await runCli(['dump', dir, '--json', '--space', '0', '--page', String(p['page'])]);
  const ps = pg.out.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.true(ps.length > 0 && ps.every((o) => o['space'] === 0 && o['page'] === p['page']));

  const bad = await runCli(['dump', dir, '--type', 'NOPE']);
  t.is(bad.code, 2);
  t.is(bad.err[0], 'ibarchive: --type: unknown record type NOPE');
});

const tmpDirs: string[] = [];
test.after.always(async () => {
  for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
});

async function tmp(name: string, bytes: Uint8Array): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ibarchive-dump-'));
  tmpDirs.push(d);
  const p = join(d, name);
  await writeFile(p, bytes);
  return p;
}

/** The backup fixture's log, and the file offsets of its mtrs (no wrap: offset = 12288 + lsn - first). */
async function backupLog() {
  const bytes = new Uint8Array(readFileSync(join(ROOT, 'testdata', 'backup', 'ib_logfile0')));
  const log = await openCircularLog(memoryFile('ib_logfile0', bytes));
  const mtrs: { start: number; recordsEnd: number; end: number; lsn: bigint; writeData?: number }[] = [];
  const r = new RecordReader();
  for await (const b of readMtrBatches(log, log.checkpoints.latest.checkpointLsn)) {
    if (b.kind === 'end') break;
    for (let i = 0; i < b.count; i++) {
      const lsn = b.lsn + BigInt(b.starts[i]!);
      const off = log.locate(lsn).offset;
      const m: (typeof mtrs)[number] = { start: off, recordsEnd: off + b.recordsEnds[i]! - b.starts[i]!, end: off + b.ends[i]! - b.starts[i]!, lsn };
      r.reset(b.bytes, b.starts[i]!, b.recordsEnds[i]!, lsn, 0n);
      while (r.next()) if (r.type === WRITE && r.length >= 4 && m.writeData === undefined) m.writeData = off + r.dataStart - b.starts[i]! + 1;
      mtrs.push(m);
    }
  }
  return { bytes, mtrs };
}

test('bad input: one-line errors and exit codes', async (t) => {
  const { bytes, mtrs } = await backupLog();
  t.true(mtrs.length > 1000);

  // a flipped data byte in the middle of the log: corruption named by LSN and offset
  const midIdx = mtrs.findIndex((m, i) => i > mtrs.length / 2 && m.writeData !== undefined);
  const mid = mtrs[midIdx]!;
  const flipped = bytes.slice();
  flipped[mid.writeData!]! ^= 0x5a;
  let r = spawnCli(['dump', await tmp('ib_logfile0', flipped), '--stats']);
  t.is(r.code, 4, r.stderr);
  t.regex(r.stderr, new RegExp(`^ibarchive: checksum mismatch in mtr at LSN ${mid.lsn} \\(.*ib_logfile0, offset 0x${mid.start.toString(16)}\\): expected [0-9a-f]{8}, got [0-9a-f]{8}\\n$`));

  // a bad CRC in the very last mtr of a server log: the end of the log (a torn last write), not an error
  const server = new Uint8Array(readFileSync(join(ROOT, 'testdata', 'server-fresh', 'ib_logfile0')));
  const slog = await openCircularLog(memoryFile('ib_logfile0', server));
  let lastLsn = 0n;
  let serverMtrs = 0;
  let serverEnd = 0n;
  for await (const b of readMtrBatches(slog, slog.checkpoints.latest.checkpointLsn)) {
    if (b.kind === 'end') {
      serverEnd = b.endLsn;
      break;
    }
    serverMtrs += b.count;
    lastLsn = b.lsn + BigInt(b.starts[b.count - 1]!);
  }
  const tail = server.slice();
  tail[slog.locate(serverEnd - 1n).offset]! ^= 1;
  r = spawnCli(['dump', await tmp('ib_logfile0', tail), '--stats', '--json']);
  t.is(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { summary: { endLsn: string; endReason: string; mtrs: number } };
  t.is(s.summary.endReason, 'checksum');
  t.is(s.summary.endLsn, String(lastLsn));
  t.is(s.summary.mtrs, serverMtrs - 1);

  // the same in a backup log, which mariadb-backup writes only from validated mtrs and never pads: corruption
  const last = mtrs.at(-1)!;
  const btail = bytes.slice();
  btail[last.end - 1]! ^= 1;
  r = spawnCli(['dump', await tmp('ib_logfile0', btail), '--stats', '--json']);
  t.is(r.code, 4, r.stderr);
  t.is(r.stderr.split('\n')[0]!.replace(/\(\/[^ ]*ib_logfile0/, '(ib_logfile0'),
    `ibarchive: log ends 11 bytes before the end of what the backup log holds (LSN 4831623) at LSN ${last.lsn} (ib_logfile0, offset 0x${last.start.toString(16)})`);

  // a zeroed first byte mid-log looks like an end of log to the framing, but a backup log must run to its last byte
  const cut = bytes.slice();
  cut[mid.start] = 0;
  r = spawnCli(['dump', await tmp('ib_logfile0', cut), '--stats']);
  t.is(r.code, 4, r.stderr);
  t.regex(r.stderr, new RegExp(`^ibarchive: log ends \\d+ bytes before the end of what the backup log holds \\(LSN 4831623\\) at LSN ${mid.lsn} \\(.*ib_logfile0, offset 0x${mid.start.toString(16)}\\)\\n$`));

  // truncated file
  r = spawnCli(['dump', await tmp('ib_logfile0', bytes.subarray(0, 8000))]);
  t.is(r.code, 3);
  t.regex(r.stderr, /^ibarchive: redo log file is 8000 bytes, shorter than 12304 in .*ib_logfile0\n$/);

  // zero-filled file
  r = spawnCli(['dump', await tmp('ib_logfile0', new Uint8Array(1 << 20))]);
  t.is(r.code, 3);
  t.regex(r.stderr, /^ibarchive: not a redo log: the header block is all zero in .*ib_logfile0, offset 0x0\n$/);

  // MySQL 8.0.30+ #ib_redo file (header: u32 format 6, u64 start LSN at 8, creator at 16, CRC-32C at 508)
  const mysql = new Uint8Array(3 << 20);
  const v = new DataView(mysql.buffer);
  v.setUint32(0, 6);
  v.setBigUint64(8, 19062784n);
  mysql.set(new TextEncoder().encode('MySQL 8.0.36'), 16);
  v.setUint32(508, crc32c(mysql.subarray(0, 508)));
  r = spawnCli(['dump', await tmp('#ib_redo9', mysql)]);
  t.is(r.code, 3);
  t.regex(r.stderr, /^ibarchive: MySQL redo log \(format 6, MySQL 8\.0\.30\+ #innodb_redo\/#ib_redoN, creator "MySQL 8\.0\.36"\); ibarchive reads MariaDB 10\.8\+ logs only in .*#ib_redo9, offset 0x0\n$/);
  // pre-8.0.30 ib_logfile0 (format 4)
  v.setUint32(0, 4);
  v.setUint32(508, crc32c(mysql.subarray(0, 508)));
  r = spawnCli(['dump', await tmp('ib_logfile0', mysql)]);
  t.is(r.code, 3);
  t.regex(r.stderr, /^ibarchive: MySQL redo log \(format 4, MySQL 8\.0 before 8\.0\.30/);

  // a log that ends before the FILE_CHECKPOINT its checkpoint block points at
  const short = new Uint8Array(12288 + 4096);
  short.set(encodeLogHeader({ firstLsn: 12288n, creator: 'MariaDB 10.11.19' }));
  short.set(encodeCheckpointBlock(12288n, 20000n), 4096);
  short.set([0xfa, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x00, 1], 12288);
  new DataView(short.buffer).setUint32(12288 + 12, crc32c(short.subarray(12288, 12288 + 11)));
  r = spawnCli(['dump', await tmp('ib_logfile0', short)]);
  t.is(r.code, 4, r.stderr);
  t.regex(r.stderr, /^ibarchive: log ends before the FILE_CHECKPOINT of its latest checkpoint \(LSN 20000\) at LSN 12304 \(.*ib_logfile0, offset 0x3010\)\n$/);

  // wrong path
  r = spawnCli(['dump', '/nonexistent/ib_logfile0']);
  t.is(r.code, 3);
  t.is(r.stderr, 'ibarchive: no such file or directory: /nonexistent/ib_logfile0\n');
  r = spawnCli(['dump', '--from-lsn', 'xyz', join(ROOT, 'testdata', 'backup')]);
  t.is(r.code, 2);
  t.is(r.stderr, 'ibarchive: --from-lsn: not an LSN: xyz\n');
});

test('the installed command (the bundle) runs from its #! line, with the V8 flag it names', (t) => {
  // `ibarchive` as npm links it: the file itself is executed, `env -S` splits the node flags.
  const main = MAIN;
  const first = readFileSync(main, 'utf8').split('\n', 1)[0]!;
  t.is(first, '#!/usr/bin/env -S node --no-concurrent-recompilation');
  const r = spawnSync(main, ['dump', join(ROOT, 'testdata', 'backup'), '--stats', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  t.is(r.status, 0, r.stderr);
  // (node refuses a V8 flag it does not know: the #! line would then fail here)
  t.truthy((JSON.parse(r.stdout) as { summary?: { endLsn?: string } }).summary?.endLsn);
});
