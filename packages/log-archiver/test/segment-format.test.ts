import test from 'ava';
import { ChecksumMismatchError, crc32c } from '@ibarchive/parser';
import { decodeSegmentHeader, encodeSegmentHeader, parseRangeFileName, segmentFileName } from '../src/index.js';

const PAYLOAD = Uint8Array.from(Buffer.from('fa0000000000000000ad7401add4e8f9', 'hex'));
const EXAMPLE =
  '4942415253454731 0001 009c 50687973 000000000000ad74 000000000000ad84 0000000000000010 694e5968 00 00 0001' +
  ' 000102030405060708090a0b0c0d0e0f 000000000000ad74 4d61726961444220 31302e31312e3139' + ' 00'.repeat(16) +
  ' 00'.repeat(32) + ' 0000019a00000000 000000000000ad84 f6e209ab';

function exampleHeader() {
  return encodeSegmentHeader({
    logFormat: 0x50687973,
    startLsn: 44404n,
    endLsn: 44420n,
    storedLength: 16,
    payloadCrc: crc32c(PAYLOAD),
    compression: 'none',
    archiveId: '000102030405060708090a0b0c0d0e0f',
    originFirstLsn: 44404n,
    creator: 'MariaDB 10.11.19',
    previousHash: undefined,
    samples: [{ timeMs: 0x019a00000000, lsn: 44420n }],
  });
}

test('segment header: the worked example of segment-format.ts byte for byte', (t) => {
  t.is(Buffer.from(exampleHeader()).toString('hex'), EXAMPLE.replace(/ /g, ''));
});

test('segment header round-trips and rejects a flipped bit', (t) => {
  const h = exampleHeader();
  const d = decodeSegmentHeader(h, 'x.ibseg');
  t.is(d.startLsn, 44404n);
  t.is(d.endLsn, 44420n);
  t.is(d.creator, 'MariaDB 10.11.19');
  t.is(d.previousHash, undefined);
  t.deepEqual(d.samples, [{ timeMs: 0x019a00000000, lsn: 44420n }]);
  const bad = h.slice();
  bad[0x20] ^= 1;
  const e = t.throws(() => decodeSegmentHeader(bad, 'x.ibseg'), { instanceOf: ChecksumMismatchError });
  t.is(e.message, 'segment header checksum mismatch in x.ibseg, offset 0x98: expected f6e209ab, got ' + crc32c(bad.subarray(0, 0x98)).toString(16).padStart(8, '0'));
});

test('segment names sort by LSN and parse back', (t) => {
  const n = segmentFileName(44404n, 0x1_0000_0000n);
  t.is(n, 'seg-000000000000ad74-0000000100000000.ibseg');
  t.deepEqual(parseRangeFileName(n), { kind: 'segment', from: 44404n, to: 0x1_0000_0000n });
  t.is(parseRangeFileName('seg-000000000000ad74-0000000100000000.json'), undefined);
  t.true(segmentFileName(0xffn, 0x100n) < segmentFileName(0x100n, 0x200n));
});
