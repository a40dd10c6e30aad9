import test from 'ava';
import {
  CorruptLogError,
  describeRecord,
  EXTENDED,
  FILE_CHECKPOINT,
  FILE_CREATE,
  FILE_DELETE,
  FILE_MODIFY,
  FILE_RENAME,
  FREE_PAGE,
  INIT_PAGE,
  MEMMOVE,
  MEMSET,
  OPTION,
  PADDING,
  RECORD_TYPES,
  RecordReader,
  recordToJSON,
  WRITE,
} from '../src/index.js';
import { mtr } from './builder.js';
import { hex } from './hex.js';

/** Decodes the records of one mtr (records only, no T/CRC) into plain rows. */
function decode(records: Uint8Array, options: { pageSize?: number } = {}) {
  const r = new RecordReader({ ...options, source: { name: 'ib_logfile0', locate: (lsn) => ({ file: 'ib_logfile0', offset: Number(lsn - 44420n) + 0x3010 }) } });
  r.reset(records, 0, records.length, 44420n, 44420n + BigInt(records.length + 5));
  const rows: string[] = [];
  while (r.next()) rows.push(describeRecord(r));
  return rows;
}

test('the fully decoded real mtr of redo-format 4.8', (t) => {
  const records = hex(
    '39 00 2d 32 ff ff ff ff 00 00  b7 00 ff ff ff ff 00 00  34 00 2d 31 00  c3 16 04 ff  b3 8f 83 0d' +
      '47 00 80 73 aa b2 04 ff  34 00 00 3d 36  03 00 80 ad  35 00 00 80 d9 ae  48 00 80 73 aa 72 80 40 00',
  );
  t.deepEqual(decode(records), [
    'WRITE 0:45 offset 50 len 6 data ffffffff0000',
    'WRITE 0:45 offset 56 len 6 data ffffffff0000',
    'WRITE 0:45 offset 49 len 1 data 00',
    'MEMSET 0:45 offset 72 len 4 fill ff',
    'WRITE 0:45 offset 4175 len 1 data 0d',
    'MEMSET 0:243 offset 11058 len 4 fill ff',
    'WRITE 0:0 offset 61 len 1 data 36',
    'FREE_PAGE 0:301',
    'WRITE 0:0 offset 345 len 1 data ae',
    'MEMSET 0:243 offset 10994 len 192 fill 00',
  ]);
});

test('file records of redo-format 4.7 (real bytes)', (t) => {
  const enc = (s: string) => Buffer.from(s).toString('hex');
  t.deepEqual(decode(hex('bd 05 00' + enc('./d1/t1.ibd'))), ['FILE_MODIFY space 5 ./d1/t1.ibd']);
  t.deepEqual(decode(hex('8d 05 00' + enc('./d1/t1.ibd') + '12 05 00 b2 01 08')), [
    'FILE_CREATE space 5 ./d1/t1.ibd',
    'INIT_PAGE 5:0',
    'WRITE 5:0 offset 25 len 1 data 08',
  ]);
  t.deepEqual(decode(hex('a0 0b 09 00' + enc('./d1/t5.ibd') + '00' + enc('./d1/t6.ibd'))), [
    'FILE_RENAME space 9 ./d1/t5.ibd -> ./d1/t6.ibd',
  ]);
  t.deepEqual(decode(hex('9d 0a 00' + enc('./d1/t7.ibd'))), ['FILE_DELETE space 10 ./d1/t7.ibd']);
  t.deepEqual(decode(hex('b0 01 08 00' + enc('./test/t6.ibd'))), ['FILE_MODIFY space 8 ./test/t6.ibd']);
  t.deepEqual(decode(hex('fa 00 00 00 00 00 00 00 00 ad 74')), ['FILE_CHECKPOINT checkpoint 44404']);
});

test('built vectors for every record type, with fields', (t) => {
  const m = mtr()
    .fileCreate(7, './db/new.ibd')
    .fileModify(7, './db/new.ibd')
    .fileRename(7, './db/new.ibd', './db/renamed.ibd')
    .fileDelete(8, './db/gone.ibd')
    .initPage(7, 3)
    .extended(null, 1)
    .write(null, 2, [1, 2, 3]) // cursor 24 after EXTENDED -> 26
    .memset(null, 4, 8, [0xab, 0xcd]) // 29 + 4 = 33
    .memmove(null, 0, 5, 3) // target 41, source 41 - 1 - 1 = 39
    .option(null, [0, 0xde, 0xad, 0xbe, 0xef])
    .write([7, 4], 100, new Array(40).fill(0x5a)) // long form
    .freePage(7, 5)
    .extended([7, 6], 3, [0x0b, 0x00, 0x01])
    .extended([2, 640], 10);
  const records = m.records();
  const r = new RecordReader();
  r.reset(records, 0, records.length, 1000n, 2000n);
  const seen: number[] = [];
  const json: Record<string, unknown>[] = [];
  while (r.next()) {
    seen.push(r.type);
    json.push(recordToJSON(r));
    if (r.type === MEMMOVE) {
      t.is(r.offset, 41);
      t.is(r.source, 39);
      t.is(r.length, 5);
    }
  }
  t.deepEqual(seen, [FILE_CREATE, FILE_MODIFY, FILE_RENAME, FILE_DELETE, INIT_PAGE, EXTENDED, WRITE, MEMSET, MEMMOVE, OPTION, WRITE, FREE_PAGE, EXTENDED, EXTENDED]);
  t.deepEqual(json.map((j) => [j['type'], j['space'], j['page']]), [
    ['FILE_CREATE', 7, undefined],
    ['FILE_MODIFY', 7, undefined],
    ['FILE_RENAME', 7, undefined],
    ['FILE_DELETE', 8, undefined],
    ['INIT_PAGE', 7, 3],
    ['EXTENDED', 7, 3],
    ['WRITE', 7, 3],
    ['MEMSET', 7, 3],
    ['MEMMOVE', 7, 3],
    ['OPTION', 7, 3],
    ['WRITE', 7, 4],
    ['FREE_PAGE', 7, 5],
    ['EXTENDED', 7, 6],
    ['EXTENDED', 2, 640],
  ]);
  t.like(json[2], { space: 7, name: './db/new.ibd', newName: './db/renamed.ibd' });
  t.like(json[5], { subtype: 'INIT_ROW_FORMAT_DYNAMIC', payload: '' });
  t.like(json[6], { offset: 26, length: 3, data: '010203' });
  t.like(json[7], { offset: 33, length: 8, fill: 'abcd' });
  t.like(json[9], { subtype: 0, payload: 'deadbeef' });
  t.like(json[10], { offset: 100, length: 40 });
  t.like(json[12], { subtype: 'UNDO_APPEND', payload: '0b0001' });
  t.like(json[13], { subtype: 'TRIM_PAGES' });
  t.is(json[0]!['lsn'], '1000');
  t.deepEqual(new Set(RECORD_TYPES.map((x) => x.name)).size, RECORD_TYPES.length);
});

test('padding records are no-ops', (t) => {
  const records = hex('f1 00  f0 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 fa 00 00 00 00 00 00 00 00 ad 74');
  const r = new RecordReader();
  r.reset(records, 0, records.length, 0n, 0n);
  const types: number[] = [];
  while (r.next()) types.push(r.type);
  t.deepEqual(types, [PADDING, PADDING, FILE_CHECKPOINT]);
  t.is(r.checkpointLsn, 44404n);
  void OPTION;
  void MEMSET;
});

const bad: [string, string, string][] = [
  ['RESERVED type', '62 05 03', 'RESERVED (unknown) record type 0x60'],
  ['same_page FREE_PAGE', '34 05 03 20 00  81 00', 'same_page flag on FREE_PAGE'],
  ['same_page INIT_PAGE', '34 05 03 20 00  91 00', 'same_page flag on INIT_PAGE'],
  ['WRITE below byte 8', '33 05 03 07 00', 'WRITE: target offset 7 outside 8..16383'],
  ['WRITE past the page', '36 05 03 bf 7f 00 00', 'WRITE: 2 bytes at 16383 pass the page end'],
  ['WRITE after FREE_PAGE', '02 05 03  b2 10 00', 'WRITE after FREE_PAGE of the same page'],
  ['MEMSET pattern longer than len', '46 05 03 10 01 aa bb', 'MEMSET: fill pattern of 2 bytes for length 1'],
  ['MEMMOVE trailing byte', '56 05 03 10 01 00 00', 'MEMMOVE: trailing bytes'],
  ['MEMMOVE source below 8', '55 05 03 08 04 01', 'MEMMOVE: source 7 length 4 outside the page'],
  ['FREE_PAGE with payload', '03 05 03 00', 'trailing bytes in FREE_PAGE'],
  ['unknown EXTENDED subtype', '23 05 03 0b', 'unknown EXTENDED subtype 11'],
  ['UNDO_INIT with payload', '24 05 03 02 00', 'EXTENDED subtype 2 with 1 payload bytes'],
  ['EXTENDED on page 2', '26 05 02 03 00 00 00', 'EXTENDED subtype 3 on page 2'],
  ['file record without .ibd', 'b6 05 00 61 62 63 64', 'file name not ending in .ibd'],
  ['file record for space 0', 'b7 00 00 2e 2f 61 2e 69 62 64', 'file record for space 0'],
  ['rename without NUL', 'a8 05 00 61 61 2e 69 62 64', 'FILE_RENAME with 0 NUL separators'],
  ['unknown file record', 'c7 05 00 61 2e 69 62 64', 'unknown file-level record type 0xc0'],
  ['FILE_CHECKPOINT not last', 'fa 00 00 00 00 00 00 00 00 ad 74  12 00 00', 'FILE_CHECKPOINT is not the last record of its mtr'],
  ['bad space id varint', '34 f1 00 00 00', 'invalid space id'],
];

for (const [name, h, what] of bad) {
  test(`corrupt: ${name}`, (t) => {
    const e = t.throws(() => decode(hex(h)), { instanceOf: CorruptLogError });
    t.regex(e.message, /^corrupt record: .* at LSN \d+ \(ib_logfile0, offset 0x[0-9a-f]+\)$/);
    t.true(e.message.startsWith(`corrupt record: ${what} at LSN`), e.message);
  });
}

test('corruption names the LSN and offset of the failing record', (t) => {
  const e = t.throws(() => decode(hex('34 05 03 20 00  34 05 03 02 00')), { instanceOf: CorruptLogError });
  t.is(e.message, 'corrupt record: WRITE: target offset 2 outside 8..16383 at LSN 44425 (ib_logfile0, offset 0x3015)');
  t.is(e.lsn, 44425n);
});
