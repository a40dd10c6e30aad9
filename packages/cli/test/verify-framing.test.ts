import test from 'ava';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSegmentHeader, ingestBackup, openArchive, readSegmentFile, segmentFileName, verifyArchive } from '@ibarchive/log-archiver';
import { crc32c, formatLsn, type Lsn } from '@ibarchive/parser';
import { tempDir } from './verify-helpers.js';

/**
 * Built archives from the real log of testdata/backup (mariadb-backup's
 * ib_logfile0): the log is re-cut into segments at offsets that are not mtr
 * boundaries, so verify must frame mtrs across segment files.
 */
const BACKUP = fileURLToPath(new URL('../../../../testdata/backup', import.meta.url));

interface Built {
  dir: string;
  start: Lsn;
  cuts: Lsn[];
  end: Lsn;
  mtrs: number;
}

async function build(t: { teardown(fn: () => unknown): void }, mutate?: (payload: Uint8Array, start: Lsn) => void): Promise<Built> {
  const work = await tempDir(t);
  const src = join(work, 'src');
  await ingestBackup({ backupDir: BACKUP, archiveDir: src, compression: 'none' });
  const a = await openArchive(src);
  const original = await verifyArchive(src);
  const parts = await Promise.all(a.segments.map((s) => readSegmentFile(s.path)));
  const log = Buffer.concat(parts.map((p) => p.payload));
  const start = a.startLsn;
  const end = a.endLsn;
  mutate?.(log, start);
  // Cut at a third and two thirds, moved 7 bytes so the cuts fall inside mtrs.
  const n = log.length;
  const offs = [0, Math.floor(n / 3) + 7, Math.floor((2 * n) / 3) + 7, n];
  const dir = join(work, 'recut');
  await mkdir(dir);
  await copyFile(join(src, 'archive.json'), join(dir, 'archive.json'));
  const h = parts[0]!.header;
  let prev: string | undefined;
  for (let i = 0; i < 3; i++) {
    const chunk = log.subarray(offs[i]!, offs[i + 1]!);
    const from = start + BigInt(offs[i]!);
    const to = start + BigInt(offs[i + 1]!);
    const head = encodeSegmentHeader({ ...h, startLsn: from, endLsn: to, storedLength: chunk.length, payloadCrc: crc32c(chunk), compression: 'none', previousHash: prev, samples: [] });
    const file = Buffer.concat([head, chunk]);
    await writeFile(join(dir, segmentFileName(from, to)), file);
    prev = createHash('sha256').update(file).digest('hex');
  }
  return { dir, start, cuts: [start + BigInt(offs[1]!), start + BigInt(offs[2]!)], end, mtrs: original.mtrs };
}

test('mtrs that cross segment files are framed whole: same mtr count as one piece, coverage is the whole range', async (t) => {
  const b = await build(t);
  const r = await verifyArchive(b.dir);
  t.deepEqual(r.problems, []);
  t.is(r.mtrs, b.mtrs);
  t.true(r.mtrs > 10);
  t.deepEqual(r.coverage, [{ from: b.start, to: b.end }]);
});

test('an archive that ends inside an mtr reports the unfinished mtr', async (t) => {
  const b = await build(t);
  const last = segmentFileName(b.cuts[1]!, b.end);
  await rm(join(b.dir, last));
  const r = await verifyArchive(b.dir);
  t.is(r.problems.length, 1);
  const p = r.problems[0]!;
  t.is(p.kind, 'truncated');
  t.is(p.to, b.cuts[1]);
  t.true(p.from < b.cuts[1]! && p.from > b.cuts[0]!);
  t.regex(p.message, new RegExp(`the log ends inside an mtr: \\d+ bytes at LSN ${formatLsn(p.from)} do not complete an mtr before LSN ${formatLsn(b.cuts[1]!)}`));
});

test('a bad mtr CRC inside a segment whose own checksum is right is found and named by LSN', async (t) => {
  let flippedAt: Lsn = 0n;
  const b = await build(t, (log, start) => {
    // In the last segment: verify resumes framing at the next segment's start, which the archiver always writes at an mtr boundary (these re-cut ones are not).
    const at = Math.floor((5 * log.length) / 6);
    log[at] = log[at]! ^ 0x01;
    flippedAt = start + BigInt(at);
  });
  const r = await verifyArchive(b.dir);
  t.is(r.problems.length, 1, JSON.stringify(r.problems, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  const p = r.problems[0]!;
  t.is(p.kind, 'mtr');
  t.true(p.from <= flippedAt && p.from > flippedAt - 2_000_000n, `bad mtr at ${p.from}, flipped byte at ${flippedAt}`);
  t.regex(p.message, new RegExp(`^(bad mtr at LSN ${formatLsn(p.from)} \\(.*recut/seg-.*\\.ibseg, offset 0x[0-9a-f]+\\): (checksum mismatch: stored [0-9a-f]{8}, computed [0-9a-f]{8}|invalid mtr length|a 0x00/0x01 byte where an mtr must start)|bad record in the mtr at LSN ${formatLsn(p.from)}: .*)$`));
  // Everything before the bad mtr is still verified coverage.
  t.deepEqual(r.coverage, [{ from: b.start, to: p.from }]);
});
