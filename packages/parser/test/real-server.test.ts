import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runWorkload, startServer } from '@ibarchive/harness';
import {
  type Lsn,
  memoryFile,
  openCircularLog,
  readMtrBatches,
  RecordReader,
  recordName,
  EXTENDED,
  validateExtended,
} from '../src/index.js';

/**
 * A real mariadbd with a 4 MiB log runs the harness workload until its log
 * has wrapped several times. At every quiet restore point (and once more at
 * the end) ib_logfile0 is copied and parsed from its latest checkpoint: the
 * parse must end exactly at the server's "Log sequence number", at the 0x00
 * byte the server places after the last mtr, with no checksum failure and no
 * malformed record; across the copies every record type the workload writes
 * must appear.
 */

/** Record types (EXTENDED by subtype) that the workload's DML, DDL and BLOBs produce. */
const EXPECTED_TYPES = [
  'DELETE_ROW_FORMAT_DYNAMIC',
  'DELETE_ROW_FORMAT_REDUNDANT',
  'FILE_CHECKPOINT',
  'FILE_CREATE',
  'FILE_DELETE',
  'FILE_MODIFY',
  'FILE_RENAME',
  'FREE_PAGE',
  'INIT_PAGE',
  'INIT_ROW_FORMAT_DYNAMIC',
  'INIT_ROW_FORMAT_REDUNDANT',
  'INSERT_HEAP_DYNAMIC',
  'INSERT_HEAP_REDUNDANT',
  'INSERT_REUSE_DYNAMIC',
  'INSERT_REUSE_REDUNDANT',
  'MEMMOVE',
  'MEMSET',
  'UNDO_APPEND',
  'UNDO_INIT',
  'WRITE',
];

interface Copy {
  bytes: Uint8Array;
  lsnBefore: Lsn;
  lsnAfter: Lsn;
}

async function parseCopy(c: Copy, types: Map<string, number>) {
  const log = await openCircularLog(memoryFile('ib_logfile0', c.bytes));
  const from = log.checkpoints.latest.checkpointLsn;
  const reader = new RecordReader({ source: log });
  let mtrs = 0;
  for await (const b of readMtrBatches(log, from, { batchBytes: 1 << 20 })) {
    if (b.kind === 'end') return { log, from, end: b, mtrs };
    mtrs += b.count;
    for (let i = 0; i < b.count; i++) {
      reader.resetMtr(b, i);
      while (reader.next()) {
        if (reader.type === EXTENDED) validateExtended(reader.subtype, b.bytes, reader.dataStart, reader.dataEnd, reader.position());
        const name = recordName(reader.type, reader.subtype);
        types.set(name, (types.get(name) ?? 0) + 1);
      }
    }
  }
  throw new Error('no end');
}

test('parse copies of a wrapping real server log from the checkpoint to the server LSN', async (t) => {
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=4M'] });
  t.teardown(() => srv.stop());
  const logFile = join(srv.datadir, 'ib_logfile0');
  const copies: Copy[] = [];
  const copyNow = async () => {
    const lsnBefore = await srv.lsn();
    const bytes = new Uint8Array(await readFile(logFile));
    copies.push({ bytes, lsnBefore, lsnAfter: await srv.lsn() });
  };
  await runWorkload(srv, { volumeMB: 18, pointEveryMB: 2, onPoint: copyNow });
  for (let i = 0; i < 50; i++) {
    const st = await srv.logStatus();
    if (st.flushedLsn >= st.lsn) {
      await copyNow();
      if (copies.at(-1)!.lsnBefore === copies.at(-1)!.lsnAfter) break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const types = new Map<string, number>();
  let quiet = 0;
  let wraps = 0;
  for (const c of copies) {
    const { log, end, mtrs } = await parseCopy(c, types);
    t.true(mtrs > 0);
    wraps = Number((end.endLsn - log.header.firstLsn) / BigInt(log.capacity));
    if (c.lsnBefore !== c.lsnAfter) continue; // the server wrote while we copied: no exact end to compare
    quiet++;
    t.is(end.endLsn, c.lsnBefore, 'end LSN = SHOW ENGINE INNODB STATUS "Log sequence number"');
    t.is(end.reason, 'zero');
  }
  t.true(quiet >= 3, `${quiet} quiet copies of ${copies.length}`);
  t.true(wraps >= 3, `the log wrapped ${wraps} times`);
  t.log(`${copies.length} copies, ${quiet} quiet, log wrapped ${wraps} times, types ${JSON.stringify(Object.fromEntries(types))}`);
  const missing = EXPECTED_TYPES.filter((n) => !types.has(n));
  t.deepEqual(missing, [], `record types seen: ${JSON.stringify(Object.fromEntries(types))}`);
});
