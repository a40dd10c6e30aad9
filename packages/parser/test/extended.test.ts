import test from 'ava';
import {
  CorruptLogError,
  ExtendedSubtype,
  decodeDeleteDynamic,
  decodeDeleteRedundant,
  decodeInsertDynamic,
  decodeInsertRedundant,
  decodeUndoAppend,
  describeExtended,
  extendedSubtypeName,
  newDeleteDynamicFields,
  newDeleteRedundantFields,
  newInsertDynamicFields,
  newInsertRedundantFields,
  newUndoAppendFields,
  validateExtended,
} from '../src/index.js';

const hex = (s: string) => Uint8Array.from(s.trim().split(/\s+/).map((h) => parseInt(h, 16)));

function varintLen(b: number): number {
  let n = 1;
  for (let f = b; f & 0x80; f = (f << 1) & 0xff) n++;
  return n;
}

/**
 * Splits a whole EXTENDED record (as in redo-format.md) into subtype and
 * payload range. Test-only: the real framing lives in the record reader.
 */
function extended(recordHex: string) {
  const bytes = hex(recordHex);
  const first = bytes[0]!;
  let p = 1;
  let bodyLen = first & 0x0f;
  if (bodyLen === 0) {
    const l = varintLen(bytes[1]!);
    const v = l === 1 ? bytes[1]! : 0x80 + (((bytes[1]! & 0x3f) << 8) | bytes[2]!);
    bodyLen = v + 15 - l;
    p += l;
  }
  const end = p + bodyLen;
  if (end !== bytes.length) throw new Error(`record length ${bytes.length}, expected ${end}`);
  if (!(first & 0x80)) p += varintLen(bytes[p]!) + varintLen(bytes[p + varintLen(bytes[p]!)]!);
  return { bytes, subtype: bytes[p]!, start: p + 1, end };
}

test('subtype names follow mtr0types.h', (t) => {
  t.is(extendedSubtypeName(ExtendedSubtype.INSERT_REUSE_DYNAMIC), 'INSERT_REUSE_DYNAMIC');
  t.is(extendedSubtypeName(ExtendedSubtype.TRIM_PAGES), 'TRIM_PAGES');
  t.is(extendedSubtypeName(11), 'EXTENDED(11)');
});

test('INSERT_HEAP_DYNAMIC worked example (4.6.4)', (t) => {
  const r = extended('20 15 05 03 06 00 10 00 00 05 00 80 00 00 01 00 00 00 00 00 13 84 00 00 01 34 01 10 68 65 6c 6c 6f 80 00 00 0a');
  t.is(r.subtype, ExtendedSubtype.INSERT_HEAP_DYNAMIC);
  const f = decodeInsertDynamic(r.subtype, r.bytes, r.start, r.end, newInsertDynamicFields());
  t.deepEqual({ ...f }, { prev: 0, shift: 0, encHdrL: 0x10, hdrC: 0, dataC: 0, dataStart: 9, dataEnd: 37 });
  t.deepEqual([...r.bytes.subarray(f.dataStart, f.dataStart + 2)], [0x05, 0x00]);
  t.is(describeExtended(r.subtype, r.bytes, r.start, r.end),
    'INSERT_HEAP_DYNAMIC prev=0 hdr_l=2 info=0x00 hdr_c=0 data_c=0 literal=28');
});

test('INSERT_HEAP_REDUNDANT worked example (4.6.4)', (t) => {
  const r = extended('20 12 06 03 04 00 1c 00 00 15 11 0a 04 80 00 00 01 00 00 00 00 00 1b 88 00 00 01 38 01 10 72 65 64 31');
  t.is(r.subtype, ExtendedSubtype.INSERT_HEAP_REDUNDANT);
  const f = decodeInsertRedundant(r.subtype, r.bytes, r.start, r.end, newInsertRedundantFields());
  t.is(f.prev, 0);
  t.is(f.header, 0x1c);
  t.is(f.hdrC, 0);
  t.is(f.dataC, 0);
  t.is(f.dataEnd - f.dataStart, 25);
  t.is(describeExtended(r.subtype, r.bytes, r.start, r.end),
    'INSERT_HEAP_REDUNDANT prev=0 n_fields=4 offs=1B info=0x00 hdr_c=0 data_c=0 literal=25');
});

test('INSERT_REUSE_DYNAMIC example (4.6.4)', (t) => {
  const r = extended('2c 07 09 07 80 5f 00 08 00 06 00 08 01');
  const f = decodeInsertDynamic(r.subtype, r.bytes, r.start, r.end, newInsertDynamicFields());
  t.deepEqual([f.prev, f.shift, f.encHdrL >> 3, f.hdrC, f.dataC], [223, 0, 1, 0, 6]);
  t.deepEqual([...r.bytes.subarray(f.dataStart, f.dataEnd)], [0x00, 0x08, 0x01]);
  t.is(describeExtended(r.subtype, r.bytes, r.start, r.end),
    'INSERT_REUSE_DYNAMIC prev=223 shift=+0 hdr_l=1 info=0x00 hdr_c=0 data_c=6 literal=3');
});

test('INSERT_REUSE_REDUNDANT node-pointer example (4.6.4)', (t) => {
  const r = extended('20 02 08 03 05 81 80 0c 01 01 08 2f 4d 6d 00 00 00 23');
  const f = decodeInsertRedundant(r.subtype, r.bytes, r.start, r.end, newInsertRedundantFields());
  t.deepEqual([f.prev, (f.header >> 3) + 1, f.hdrC, f.dataC, f.dataEnd - f.dataStart], [512, 2, 1, 1, 8]);
});

test('DELETE_ROW_FORMAT_DYNAMIC example (4.6.8)', (t) => {
  const r = extended('27 07 0e 09 94 eb 02 1d');
  const f = decodeDeleteDynamic(r.bytes, r.start, r.end, newDeleteDynamicFields());
  t.deepEqual({ ...f }, { prev: 5483, hdrSize: 2, dataSize: 29 });
  t.is(describeExtended(r.subtype, r.bytes, r.start, r.end), 'DELETE_ROW_FORMAT_DYNAMIC prev=5483 hdr_size=2 data_size=29');
});

test('DELETE_ROW_FORMAT_REDUNDANT: prev fills the payload', (t) => {
  const r = extended('25 05 04 08 80 73');
  t.is(decodeDeleteRedundant(r.bytes, r.start, r.end, newDeleteRedundantFields()).prev, 243);
  const e = t.throws(() => decodeDeleteRedundant(hex('05 00'), 0, 2, newDeleteRedundantFields()), { instanceOf: CorruptLogError });
  t.is(e?.message, 'corrupt DELETE_ROW_FORMAT_REDUNDANT record: prev varint is 1 bytes but the payload is 2');
});

test('UNDO_APPEND example (4.6.2), same-page form', (t) => {
  const r = extended('aa 03 0b 00 01 05 64 31 2f 74 31');
  t.is(r.subtype, ExtendedSubtype.UNDO_APPEND);
  const f = decodeUndoAppend(r.bytes, r.start, r.end, newUndoAppendFields());
  t.is(f.dataEnd - f.dataStart, 9);
  t.is(describeExtended(r.subtype, r.bytes, r.start, r.end), 'UNDO_APPEND len=9 rec=0b00010564312f7431');
  t.throws(() => decodeUndoAppend(hex('01 02'), 0, 2, newUndoAppendFields()), {
    message: 'corrupt UNDO_APPEND record: undo record of 2 bytes (at least 3 required)',
  });
});

test('TRIM_PAGES example (4.6.10) and payload-less subtypes', (t) => {
  const r = extended('24 02 82 00 0a');
  t.is(r.subtype, ExtendedSubtype.TRIM_PAGES);
  t.is(r.start, r.end);
  t.notThrows(() => validateExtended(r.subtype, r.bytes, r.start, r.end));
  t.throws(() => validateExtended(ExtendedSubtype.INIT_ROW_FORMAT_DYNAMIC, hex('00'), 0, 1), {
    message: 'corrupt INIT_ROW_FORMAT_DYNAMIC record: expected no payload after the subtype, found 1 bytes',
  });
});

test('unknown subtype is corruption, with the caller position', (t) => {
  const e = t.throws(() => validateExtended(11, hex('00'), 0, 0, { lsn: 4794796n, file: 'ib_logfile0', offset: 0x3000 }), {
    instanceOf: CorruptLogError,
  });
  t.is(e?.message, 'corrupt EXTENDED(11) record: unknown subtype at LSN 4794796 (ib_logfile0, offset 0x3000)');
  t.is(e?.lsn, 4794796n);
});

test('varint width limits (4.6.11)', (t) => {
  const dyn = newInsertDynamicFields();
  // hdr_c as a 3-byte varint: at most 2 allowed.
  t.throws(() => decodeInsertDynamic(6, hex('00 10 c0 00 00 00 05 00'), 0, 8, dyn), {
    message: 'corrupt INSERT_HEAP_DYNAMIC record: hdr_c varint is 3 bytes (at most 2 allowed)',
  });
  // prev must leave room for the following fields.
  t.throws(() => decodeInsertDynamic(6, hex('80 10'), 0, 2, dyn), {
    message: 'corrupt INSERT_HEAP_DYNAMIC record: prev varint (2 bytes) overruns the 2-byte remainder',
  });
  // data_c may end the payload (no literal bytes), as in log0recv.cc.
  const f = decodeInsertDynamic(6, hex('05 00 00 07'), 0, 4, dyn);
  t.is(f.dataC, 7);
  t.is(f.dataStart, f.dataEnd);
  // 5-byte varint first byte 0xf0 is never allowed.
  t.throws(() => decodeInsertDynamic(7, hex('00 f0 00 00 00 01 00 00 00'), 0, 9, dyn), {
    message: 'corrupt INSERT_REUSE_DYNAMIC record: shift varint is 5 bytes (at most 3 allowed)',
  });
  const del = newDeleteDynamicFields();
  t.throws(() => decodeDeleteDynamic(hex('05 02 1d 00'), 0, 4, del), {
    message: 'corrupt DELETE_ROW_FORMAT_DYNAMIC record: 1 bytes after data_size',
  });
  t.throws(() => decodeInsertRedundant(4, hex('00 1c 00 c0 00 00'), 0, 6, newInsertRedundantFields()), {
    message: 'corrupt INSERT_HEAP_REDUNDANT record: data_c varint is 3 bytes (at most 2 allowed)',
  });
});

test('sizes must account for the literal bytes', (t) => {
  // hdr_l = 4 but only 3 literal bytes.
  t.throws(() => decodeInsertDynamic(6, hex('00 20 00 00 01 02 03'), 0, 7, newInsertDynamicFields()), {
    message: 'corrupt INSERT_HEAP_DYNAMIC record: 3 literal bytes cannot hold the 4 header bytes',
  });
  const red = newInsertRedundantFields();
  // 4 fields with 1-byte offsets: 4 header bytes needed beyond the 6 copied, only 2 given.
  t.throws(() => decodeInsertRedundant(4, hex('00 1c 00 00 15 11'), 0, 6, red), {
    message: 'corrupt INSERT_HEAP_REDUNDANT record: 2 literal bytes cannot hold the 4 header bytes',
  });
  // hdr_c larger than the header.
  t.throws(() => decodeInsertRedundant(4, hex('00 1c 05 00 15'), 0, 5, red), {
    message: 'corrupt INSERT_HEAP_REDUNDANT record: hdr_c 5 exceeds the 10-byte record header',
  });
  // more fields than REC_MAX_N_FIELDS (header 0x2000 -> 1025 fields).
  t.throws(() => decodeInsertRedundant(4, hex('00 9f 80 00 00 00'), 0, 6, red), {
    message: 'corrupt INSERT_HEAP_REDUNDANT record: 1025 fields (at most 1023)',
  });
});
