import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChecksumMismatchError, crc32c, LogGapError, readMtrBatches } from '@ibarchive/parser';
import { certifiedFloor, openArchive, openLogPath } from '../src/index.js';
import { writeGap, writeIdentity } from '../src/archive-layout.js';
import { writeSegment } from '../src/segment-io.js';
import { tempDir } from './helpers.js';

/** A FILE_CHECKPOINT(lsn) mtr with terminator 1. */
function checkpointMtr(lsn: bigint): Uint8Array {
  const m = new Uint8Array(16);
  m[0] = 0xfa;
  new DataView(m.buffer).setBigUint64(3, lsn);
  m[11] = 1;
  new DataView(m.buffer).setUint32(12, crc32c(m.subarray(0, 11)));
  return m;
}

function mtrs(from: bigint, n: number): Uint8Array {
  const out = new Uint8Array(16 * n);
  for (let i = 0; i < n; i++) out.set(checkpointMtr(from), 16 * i);
  return out;
}

const ID = { archiveId: 'ab'.repeat(16), originFirstLsn: 1000n, creator: 'MariaDB 10.11.19', logFormat: 0x50687973 };

async function buildArchive(dir: string, compression: 'lz4' | 'none') {
  await writeIdentity(dir, { ...ID, createdAt: 'x', startLsn: 1000n });
  const s1 = await writeSegment(dir, ID, 1000n, mtrs(1000n, 10), { compression, previousHash: undefined, samples: [] });
  const s2 = await writeSegment(dir, ID, 1160n, mtrs(1000n, 5), { compression, previousHash: s1.hash, samples: [{ timeMs: 5, lsn: 1240n }] });
  await writeGap(dir, 1240n, 2000n, 'test');
  await writeSegment(dir, ID, 2000n, mtrs(1000n, 4), { compression, previousHash: s2.hash, samples: [] });
  return { s1, s2 };
}

for (const compression of ['lz4', 'none'] as const) {
  test(`openArchive (${compression}): segments, gap, coverage, stitched reads across segments`, async (t) => {
    const dir = await tempDir(t);
    await buildArchive(dir, compression);
    const a = await openArchive(dir);
    t.is(a.startLsn, 1000n);
    t.is(a.endLsn, 2064n);
    t.deepEqual(a.coverage, [{ from: 1000n, to: 1240n }, { from: 2000n, to: 2064n }]);
    t.deepEqual(a.gaps.map((g) => [g.kind, g.from, g.to]), [['recorded', 1240n, 2000n]]);
    t.deepEqual(a.segments[1]!.header.samples, [{ timeMs: 5, lsn: 1240n }]);
    const across = await a.source().read(1150n, 20);
    t.is(across.length, 20);
    t.deepEqual(across, mtrs(1000n, 3).subarray(6, 26));
    t.is((await a.source().read(1230n, 100)).length, 10, 'a read reaching the gap stops at it');
    const e = await t.throwsAsync(a.source().read(1240n, 16), { instanceOf: LogGapError });
    t.is(e?.message, `archive has no log for LSN 1240..2000 (recorded overrun) at LSN 1240 (${dir})`);
    let count = 0;
    for await (const b of readMtrBatches(a.source(), 2000n)) if (b.kind === 'batch') count += b.count;
    t.is(count, 4);
    const o = await openLogPath(dir);
    t.is(o.kind, 'archive');
    t.is(o.startLsn, 1000n);
  });
}

test('a damaged segment is reported with its file and offset', async (t) => {
  const dir = await tempDir(t);
  const { s2 } = await buildArchive(dir, 'none');
  const path = join(dir, s2.name);
  const bytes = await readFile(path);
  bytes[bytes.length - 3] ^= 0x40;
  await writeFile(path, bytes);
  const a = await openArchive(dir);
  const e = await t.throwsAsync(a.source().read(1160n, 16), { instanceOf: ChecksumMismatchError });
  t.regex(e!.message, new RegExp(`^segment payload checksum mismatch at LSN 1160 \\(${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, offset 0x[0-9a-f]+\\): expected [0-9a-f]{8}, got [0-9a-f]{8}$`));
});

test('certifiedFloor: checkpoint rule, end-of-log rule, and the end that may be an overwrite', (t) => {
  const cap = 8 << 20;
  // No end observed: only the checkpoint certifies.
  t.is(certifiedFloor({ checkpointLsn: 5_000_000n, capacity: cap, observedEnd: undefined }), 5_000_000n);
  // Checkpoint right at the end of a small burst (idle flush): the end observation certifies the burst.
  const e = 20_000_000n;
  t.is(certifiedFloor({ checkpointLsn: e - 16n, capacity: cap, observedEnd: e }), e + BigInt((1 << 20) + 64 + 65536) - BigInt(cap));
  // Checkpoint far beyond the observed end: the failure at e may be the next lap; only the checkpoint counts.
  t.is(certifiedFloor({ checkpointLsn: e + 2_000_000n, capacity: cap, observedEnd: e }), e + 2_000_000n);
});
