import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive, runArchiver, type SegmentInfo } from '@ibarchive/log-archiver';
import { formatLsn, type Lsn } from '@ibarchive/parser';
import { type Server, startServer } from '@ibarchive/harness';
import { cli, copyTree, follow, jsonOut } from './verify-helpers.js';

/**
 * One real server (4 MiB log) archived by a following archiver into small
 * uncompressed segments, with a mariadb-backup base taken after the archive
 * began; each test damages its own copy of the archive.
 */
let work = '';
let archive = '';
let backup = '';
let srv: Server | undefined;
let follower: ReturnType<typeof follow> | undefined;
const MAIN = fileURLToPath(new URL('../../bundle/ibarchive.js', import.meta.url));

test.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'ibarchive-verify-'));
  archive = join(work, 'archive');
  backup = join(work, 'backup');
  srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=4M'] });
  const f = (follower = follow(srv, archive, { segmentSize: 64 << 10, compression: 'none' }));
  await srv.exec('CREATE DATABASE v; CREATE TABLE v.t (id INT PRIMARY KEY, pad VARCHAR(400)) ENGINE=InnoDB');
  await srv.backup(backup);
  for (let i = 0; i < 8; i++) {
    const rows = Array.from({ length: 250 }, (_, j) => `(${i * 250 + j}, REPEAT('${String.fromCharCode(97 + i)}', 300))`).join(',');
    await srv.exec(`INSERT INTO v.t VALUES ${rows}`);
  }
  const lsn = await srv.lsn();
  await f.waitDurable(lsn);
  await f.stop();
});

test.after.always(async () => {
  // A failed set-up must not leave the archiver polling (the test process would never exit).
  await follower?.stop().catch(() => undefined);
  await srv?.stop();
  if (work && process.env['IBARCHIVE_KEEP_TMP'] !== '1') await rm(work, { recursive: true, force: true });
});

/** Waits until the server's LSN has not moved for one second. */
async function waitQuiet(s: Server): Promise<void> {
  let last = await s.lsn();
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await s.lsn();
    if (now === last) return;
    last = now;
  }
  throw new Error(`server LSN still moving after 120 s (at ${formatLsn(last)})`);
}

async function copyOf(name: string): Promise<{ dir: string; segs: SegmentInfo[] }> {
  const dir = join(work, name);
  await copyTree(archive, dir);
  return { dir, segs: (await openArchive(dir)).segments };
}

test.serial('a clean archive verifies OK, --json lists the coverage, and the backup is restorable to its end', async (t) => {
  const a = await openArchive(archive);
  t.true(a.segments.length >= 8, `${a.segments.length} segments`);
  const r = await cli(['verify', '--archive-dir', archive, '--json']);
  t.is(r.code, 0, r.text);
  const j = jsonOut(r);
  t.true(j['ok']);
  t.deepEqual(j['problems'], []);
  t.deepEqual(j['coverage'], [{ from: formatLsn(a.startLsn), to: formatLsn(a.endLsn) }]);
  t.true(j['mtrs'] > 100 && j['records'] > j['mtrs'], `${j['mtrs']} mtrs, ${j['records']} records`);
  t.is(j['logBytes'], formatLsn(a.endLsn - a.startLsn));

  const h = await cli(['verify', '--archive-dir', archive, '--target-dir', backup]);
  t.is(h.code, 0, h.text);
  t.regex(h.text, new RegExp(`restorable up to LSN ${formatLsn(a.endLsn)}`));
  t.regex(h.text, /RESTORABLE\n[^]*verify: OK$/);
  const beyond = await cli(['verify', '--archive-dir', archive, '--target-dir', backup, '--to-archived-lsn', formatLsn(a.endLsn + 1000n)]);
  t.is(beyond.code, 1);
  t.regex(beyond.text, new RegExp(`target LSN ${formatLsn(a.endLsn + 1000n)} is beyond the contiguous log from the backup, which ends at LSN ${formatLsn(a.endLsn)}`));
});

test.serial('a flipped byte in a segment payload: exit 1, the segment and the bad mtr named by LSN', async (t) => {
  const { dir, segs } = await copyOf('flipped');
  const seg = segs[Math.floor(segs.length / 2)]!;
  const at = seg.header.headerLength + Math.floor(seg.header.storedLength / 2);
  const fh = await open(seg.path, 'r+');
  const b = new Uint8Array(1);
  await fh.read(b, 0, 1, at);
  b[0] = b[0]! ^ 0x10;
  await fh.write(b, 0, 1, at);
  await fh.close();
  // The real process: exit code and message.
  const p = spawnSync(process.execPath, [MAIN, 'verify', '--archive-dir', dir], { encoding: 'utf8' });
  t.is(p.status, 1, p.stdout + p.stderr);
  const range = `LSN ${formatLsn(seg.startLsn)}..${formatLsn(seg.endLsn)}`;
  t.regex(p.stdout, new RegExp(`DAMAGED +${range}: segment ${seg.file} \\(${range}\\) is damaged: segment payload checksum mismatch`));
  t.regex(p.stdout, /first bad mtr: bad mtr at LSN \d+ \([^)]*\): checksum mismatch: stored [0-9a-f]{8}, computed [0-9a-f]{8}/);
  t.regex(p.stdout, /verify: PROBLEMS FOUND$/m);
  const j = jsonOut(await cli(['verify', '--archive-dir', dir, '--json']));
  t.deepEqual(
    j['problems'].map((x: { kind: string; from: string; to: string }) => [x.kind, x.from, x.to]),
    [['damaged', formatLsn(seg.startLsn), formatLsn(seg.endLsn)]],
  );
  t.deepEqual(j['coverage'], [
    { from: formatLsn(segs[0]!.startLsn), to: formatLsn(seg.startLsn) },
    { from: formatLsn(seg.endLsn), to: formatLsn(segs[segs.length - 1]!.endLsn) },
  ]);
});

test.serial('a damaged segment header does not abort verify: the file is named, later segments are still checked, exit 1', async (t) => {
  const { dir, segs } = await copyOf('bad-header');
  const seg = segs[2]!;
  const later = segs[segs.length - 2]!;
  const flip = async (path: string, at: number) => {
    const fh = await open(path, 'r+');
    const b = new Uint8Array(1);
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0x01;
    await fh.write(b, 0, 1, at);
    await fh.close();
  };
  await flip(seg.path, 0x50); // inside the creator string: only the header CRC can notice
  await flip(later.path, later.header.headerLength + Math.floor(later.header.storedLength / 2));
  const p = spawnSync(process.execPath, [MAIN, 'verify', '--archive-dir', dir], { encoding: 'utf8' });
  t.is(p.status, 1, p.stdout + p.stderr);
  const range = `LSN ${formatLsn(seg.startLsn)}..${formatLsn(seg.endLsn)}`;
  t.regex(p.stdout, new RegExp(`DAMAGED +${range}: segment ${seg.file} \\(${range}\\) is damaged: its header is unusable: segment header checksum mismatch`));
  t.regex(p.stdout, new RegExp(`segment ${later.file} .* is damaged: segment payload checksum mismatch`));
  t.regex(p.stdout, /verify: PROBLEMS FOUND$/m);
  const j = jsonOut(await cli(['verify', '--archive-dir', dir, '--json']));
  t.deepEqual(
    j['problems'].map((x: { kind: string; from: string; to: string; file: string }) => [x.kind, x.from, x.to, x.file]),
    [
      ['damaged', formatLsn(seg.startLsn), formatLsn(seg.endLsn), seg.path],
      ['damaged', formatLsn(later.startLsn), formatLsn(later.endLsn), later.path],
    ],
  );
  t.is(j['segments'], segs.length);
  t.deepEqual(j['coverage'], [
    { from: formatLsn(segs[0]!.startLsn), to: formatLsn(seg.startLsn) },
    { from: formatLsn(seg.endLsn), to: formatLsn(later.startLsn) },
    { from: formatLsn(later.endLsn), to: formatLsn(segs[segs.length - 1]!.endLsn) },
  ]);
  // Other readers still refuse the archive outright (exit 4, corrupt), naming the file.
  const st = await cli(['status', '--archive-dir', dir]);
  t.is(st.code, 4, st.text);
  t.regex(st.text, new RegExp(seg.file));
});

test.serial('a missing middle segment: exit 1 naming its LSN range; the backup is restorable only up to it', async (t) => {
  const { dir, segs } = await copyOf('missing');
  const seg = segs[Math.floor(segs.length / 2)]!;
  await rm(seg.path);
  const r = await cli(['verify', '--archive-dir', dir, '--target-dir', backup]);
  t.is(r.code, 1, r.text);
  t.regex(r.text, new RegExp(`MISSING +LSN ${formatLsn(seg.startLsn)}..${formatLsn(seg.endLsn)}: LSN ${formatLsn(seg.startLsn)}..${formatLsn(seg.endLsn)} is missing`));
  t.regex(r.text, new RegExp(`restorable up to LSN ${formatLsn(seg.startLsn)}\\b`));
  // The segment after the hole still chains to the removed file: only the hole is reported.
  const j = jsonOut(await cli(['verify', '--archive-dir', dir, '--json']));
  t.deepEqual(j['problems'].map((x: { kind: string }) => x.kind), ['missing']);
});

test.serial('a recorded overrun: exit 1 naming the lost LSN range', async (t) => {
  const { dir } = await copyOf('overrun');
  const before = await openArchive(dir);
  // The archiver is not running while the server writes more than its 4 MiB log holds. The rows go
  // to a table that is then dropped (no purge work follows), and the archiver starts only once the
  // server's LSN stands still: a server still writing could overrun the catching-up archiver again.
  await srv!.exec('CREATE TABLE v.o (id INT PRIMARY KEY, pad VARCHAR(400)) ENGINE=InnoDB');
  for (let i = 0; i < 40; i++) {
    const rows = Array.from({ length: 500 }, (_, j) => `(${i * 500 + j}, REPEAT('z', 380))`).join(',');
    await srv!.exec(`INSERT INTO v.o VALUES ${rows}`);
  }
  await srv!.exec('DROP TABLE v.o');
  await waitQuiet(srv!);
  const summary = await runArchiver({ logPath: join(srv!.datadir, 'ib_logfile0'), archiveDir: dir, once: true, compression: 'none' });
  t.is(summary.gaps.length, 1);
  const gap = summary.gaps[0]!;
  t.is(gap.from, before.endLsn);
  t.true((await readdir(dir)).some((n) => n.startsWith('gap-')));
  const r = await cli(['verify', '--archive-dir', dir]);
  t.is(r.code, 1, r.text);
  const range = `LSN ${formatLsn(gap.from)}..${formatLsn(gap.to)}`;
  t.regex(r.text, new RegExp(`OVERRUN +${range}: ${range} is lost: overrun: the server log wrapped past LSN ${formatLsn(gap.from)}`));
  const j = jsonOut(await cli(['verify', '--archive-dir', dir, '--json']));
  t.deepEqual(j['problems'].map((x: { kind: string; from: string; to: string }) => [x.kind, x.from, x.to]), [['overrun', formatLsn(gap.from), formatLsn(gap.to)]]);
  t.is(j['coverage'].length, 2);
  const last: Lsn = BigInt(j['coverage'][1].to);
  t.true(last > gap.to);
});
