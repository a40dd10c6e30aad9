import test from 'ava';
import {
  ChecksumMismatchError,
  CorruptLogError,
  crc32c,
  encodeCheckpointBlock,
  encodeEmptyLog,
  encodeLogHeader,
  parseCheckpoints,
  parseLogHeader,
  UnsupportedFormatError,
} from '../src/index.js';
import { hex, toHex } from './hex.js';

test('header of a server log created at LSN 44404 (redo-format 1.2)', (t) => {
  const h = encodeLogHeader({ firstLsn: 44404n, creator: 'MariaDB 10.11.19' });
  t.is(toHex(h.subarray(0, 32)), '5068797300000000000000000000ad744d6172696144422031302e31312e3139');
  t.is(toHex(h.subarray(508)), '810fc319');
  t.deepEqual(parseLogHeader(h, 'ib_logfile0'), { format: 0x50687973, firstLsn: 44404n, creator: 'MariaDB 10.11.19' });
});

test('checkpoint blocks of redo-format 1.5', (t) => {
  const b1 = encodeCheckpointBlock(44420n, 44760n);
  t.is(toHex(b1.subarray(0, 16)), '000000000000ad84000000000000aed8');
  t.is(toHex(b1.subarray(60)), '984bdc90');
  const b2 = encodeCheckpointBlock(44404n, 44404n);
  t.is(toHex(b2.subarray(60)), 'c4a76434');
  const file = new Uint8Array(12288);
  file.set(encodeLogHeader({ firstLsn: 44404n, creator: 'MariaDB 10.11.19' }));
  file.set(b1, 4096);
  file.set(b2, 8192);
  const header = parseLogHeader(file, 'f');
  const cps = parseCheckpoints(file, header, 'f');
  t.deepEqual(cps.latest, { checkpointLsn: 44420n, endLsn: 44760n, block: 1 });
  t.is(cps.valid.length, 2);
  // a block with a bad CRC is skipped; a tie goes to block 2
  file[4096 + 60] ^= 1;
  t.deepEqual(parseCheckpoints(file, header, 'f').latest, { checkpointLsn: 44404n, endLsn: 44404n, block: 2 });
  file.set(encodeCheckpointBlock(44404n, 44404n), 4096);
  t.is(parseCheckpoints(file, header, 'f').latest.block, 2);
  file.fill(0, 4096, 12288);
  t.throws(() => parseCheckpoints(file, header, 'f'), {
    instanceOf: CorruptLogError,
    message: 'no valid checkpoint found in redo log in f, offset 0x1000',
  });
});

test('empty log of redo-format 6.6 (R = 21746311)', (t) => {
  const log = encodeEmptyLog(21746311n, 'Backup 10.11.19');
  t.is(log.length, 12304);
  t.is(toHex(log.subarray(0, 8)), '5068797300000000');
  t.is(toHex(log.subarray(8, 16)), '00000000014bd277');
  t.is(toHex(log.subarray(16, 32)), '4261636b75702031302e31312e313900');
  t.is(toHex(log.subarray(508, 512)), '6fa578a1');
  t.is(toHex(log.subarray(4096, 4112)), '00000000014bd27700000000014bd277');
  t.is(toHex(log.subarray(4156, 4160)), 'f3292d15');
  t.is(toHex(log.subarray(8192, 8256)), '00'.repeat(64));
  t.is(toHex(log.subarray(12288)), 'fa' + '000000000000' + '014bd277' + '01' + '2efb11a0');
});

test('foreign and unsupported headers are named', (t) => {
  const block = (format: number, creator: string, extra?: (b: Uint8Array) => void) => {
    const b = new Uint8Array(512);
    const v = new DataView(b.buffer);
    v.setUint32(0, format >>> 0);
    v.setBigUint64(8, 0x2000n);
    b.set(new TextEncoder().encode(creator), 16);
    extra?.(b);
    v.setUint32(508, crc32c(b.subarray(0, 508)));
    return b;
  };
  const msg = (b: Uint8Array) => {
    const e = t.throws(() => parseLogHeader(b, 'ib_logfile0'), { instanceOf: UnsupportedFormatError });
    return e.message;
  };
  t.is(msg(block(6, 'MySQL 8.0.36')),
    'MySQL redo log (format 6, MySQL 8.0.30+ #innodb_redo/#ib_redoN, creator "MySQL 8.0.36"); ibarchive reads MariaDB 10.8+ logs only in ib_logfile0, offset 0x0');
  t.regex(msg(block(4, 'MySQL 8.0.20')), /^MySQL redo log \(format 4, MySQL 8.0 before 8.0.30/);
  t.regex(msg(block(0xf09f979d, '')), /^encrypted redo log \(MariaDB 10.11\+/);
  t.regex(msg(block(0x50687973, 'MariaDB 10.8.8', (b) => (b[51] = 1))), /^encrypted redo log \(MariaDB 10.8-10.10/);
  t.regex(msg(block(0x50485953, 'MariaDB 10.5.1')), /^MariaDB 10.5-10.7 redo log format/);
  t.regex(msg(block(104, 'MariaDB 10.4.1')), /^MariaDB 10.4 redo log format/);
  t.is(msg(new Uint8Array(512)), 'not a redo log: the header block is all zero in ib_logfile0, offset 0x0');
  t.regex(msg(hex('7f454c46' + '00'.repeat(508))), /^not an InnoDB redo log: unknown format identifier 0x7f454c46/);
  const good = block(0x50687973, 'MariaDB 10.11.19');
  good[20] ^= 0xff;
  const e = t.throws(() => parseLogHeader(good, 'ib_logfile0'), { instanceOf: ChecksumMismatchError });
  t.regex(e.message, /^redo log header checksum mismatch in ib_logfile0, offset 0x1fc: expected [0-9a-f]{8}, got [0-9a-f]{8}$/);
});
