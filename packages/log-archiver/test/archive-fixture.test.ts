import test from 'ava';
import { closeSync, copyFileSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKPOINT_1, CHECKPOINT_2, encodeCheckpointBlock, formatLsn, openCircularLog, readMtrBatches } from '@ibarchive/parser';
import { type Compression, fileRandomAccess, openArchive, runArchiver } from '../src/index.js';
import { tempDir } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('../../../../testdata/server-fresh/ib_logfile0', import.meta.url));

/**
 * The real fixture log (every record from bootstrap, never wrapped) with its checkpoint moved to
 * first_lsn, archived whole with 1 MiB reads, which go straight into the segment being assembled.
 * The archive must hold exactly the log's mtrs with terminators 1. (Windows that cross the ring's
 * end are joined and copied instead: archive-wrap.test.ts, whose 8 MiB reads of an 8 MiB ring all
 * wrap, checks those bytes.)
 */
for (const compression of ['none', 'lz4'] as Compression[]) {
  test(`archive --once of a real log (${compression}): reads in place give the log's exact bytes`, async (t) => {
    const dir = await tempDir(t);
    const logPath = join(dir, 'ib_logfile0');
    copyFileSync(FIXTURE, logPath);
    const ra0 = await fileRandomAccess(logPath);
    const first = (await openCircularLog(ra0)).header.firstLsn;
    await ra0.close();
    const fd = openSync(logPath, 'r+');
    writeSync(fd, encodeCheckpointBlock(first, first), 0, 64, CHECKPOINT_1);
    writeSync(fd, new Uint8Array(64), 0, 64, CHECKPOINT_2);
    closeSync(fd);

    const archiveDir = join(dir, 'archive');
    const r = await runArchiver({ logPath, archiveDir, once: true, compression, segmentSize: 700 << 10, readBytes: 1 << 20 });
    t.deepEqual(r.gaps, []);
    t.is(r.startLsn, first);
    t.true(r.segmentsWritten >= 3, `${r.segmentsWritten} segments`);
    t.true(r.inPlaceBytes > 1 << 20, `${r.inPlaceBytes} bytes read in place`);

    const ra = await fileRandomAccess(logPath);
    t.teardown(() => ra.close());
    const log = await openCircularLog(ra);
    const a = await openArchive(archiveDir);
    t.is(a.endLsn, r.archivedLsn);
    const src = a.source();
    let next = first;
    for await (const b of readMtrBatches(log, first)) {
      if (b.kind === 'end') {
        t.is(b.endLsn, a.endLsn, `log ends (${b.reason}) where the archive ends`);
        break;
      }
      const bytes = b.bytes.slice(b.starts[0], b.ends[b.count - 1]);
      for (let i = 0; i < b.count; i++) bytes[b.recordsEnds[i]! - b.starts[0]!] = 1;
      const mine = await src.read(next, bytes.length);
      t.is(Buffer.compare(Buffer.from(mine), Buffer.from(bytes)), 0, `bytes differ in the batch at LSN ${formatLsn(next)}`);
      next += BigInt(bytes.length);
    }
    t.is(next, a.endLsn);
  });
}
