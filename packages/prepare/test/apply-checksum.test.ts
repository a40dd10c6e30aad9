import test from 'ava';
import {
  describeFlags, finalizePage, fullCrc32Checksum, innodbNewChecksum, innodbOldChecksum, isValidFlags, legacyCrc32Checksum, logicalPageSize,
  pageChecksumProblem, pageLsn, physicalPageSize, cryptDataOffset,
} from '../src/apply/index.js';
import { PS, apply, extRec, initPageRec, insDynPayload, u16 } from './apply-helpers.js';

const u32 = (p: Uint8Array, o: number) => ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;

function indexPage(space: number, page: number): Uint8Array {
  const p = new Uint8Array(PS);
  apply(p, [...initPageRec(space, page), ...extRec(space, page, 1, [])]);
  apply(p, extRec(space, page, 6, insDynPayload({ prev: 0, hdr: [], data: [1, 2, 3, 4] })));
  return p;
}

test('finalizePage with full_crc32 flags: LSN, trailer copy, CRC-32C of [0, ps-4)', (t) => {
  const p = indexPage(5, 3);
  p[2] = 0x99; // stale key version: cleared on pages other than 0
  finalizePage(p, 0x14bd12dn, 0x15);
  t.is(pageLsn(p), 0x14bd12dn);
  t.is(u32(p, 0), 0);
  t.is(u32(p, PS - 8), 0x014bd12d);
  t.is(u32(p, PS - 4), fullCrc32Checksum(p));
  t.is(pageChecksumProblem(p, 0x15), undefined);
  p[1000] ^= 1;
  t.regex(pageChecksumProblem(p, 0x15) ?? '', /^full_crc32 checksum [0-9a-f]{8}, computed [0-9a-f]{8}$/);
});

test('finalizePage with legacy crc32 flags: checksum at 0 and ps-8, LSN low at ps-4, 26..33 cleared', (t) => {
  const p = indexPage(7, 3);
  p.fill(0x55, 26, 34);
  finalizePage(p, 0x1_0000_0002n, 0x21);
  t.is(pageLsn(p), 0x1_0000_0002n);
  const c = legacyCrc32Checksum(p);
  t.is(u32(p, 0), c);
  t.is(u32(p, PS - 8), c);
  t.is(u32(p, PS - 4), 2);
  t.true(p.subarray(26, 34).every((b) => b === 0));
  t.is(pageChecksumProblem(p, 0x21), undefined);
  p[5000] ^= 0x80;
  t.truthy(pageChecksumProblem(p, 0x21));
});

test('legacy finalize keeps bytes 26..33 on page 0 and on the TRX_SYS page, resets invalid 16K page types', (t) => {
  const p0 = new Uint8Array(PS);
  apply(p0, initPageRec(0, 0));
  p0[25] = 8;
  p0.fill(0x11, 26, 34);
  finalizePage(p0, 100n, 0);
  t.true(p0.subarray(26, 34).every((b) => b === 0x11));
  const p = new Uint8Array(PS);
  apply(p, initPageRec(9, 1));
  p[25] = 17; // not an ibuf bitmap type on page 1
  finalizePage(p, 100n, 0x21);
  t.is(u16(p, 24), 5);
  const q = new Uint8Array(PS);
  apply(q, initPageRec(9, 77));
  q[24] = 0x12; // type 0x1234: unknown
  q[25] = 0x34;
  finalizePage(q, 100n, 0x21);
  t.is(u16(q, 24), 13);
  t.is(pageChecksumProblem(q, 0x21), undefined);
});

test('legacy validation accepts none, innodb and empty pages, rejects LSN mismatch', (t) => {
  const p = indexPage(7, 3);
  finalizePage(p, 500n, 0x21);
  const none = Uint8Array.from(p);
  none.set([0xde, 0xad, 0xbe, 0xef], 0);
  none.set([0xde, 0xad, 0xbe, 0xef], PS - 8);
  t.is(pageChecksumProblem(none, 0x21), undefined);
  t.is(pageChecksumProblem(new Uint8Array(PS), 0x21), undefined);
  t.is(pageChecksumProblem(new Uint8Array(PS), 0x15), undefined);
  const lsn = Uint8Array.from(p);
  lsn[PS - 1] ^= 1;
  t.regex(pageChecksumProblem(lsn, 0x21) ?? '', /^LSN low 32 bits/);
});

test('flags: page sizes, validity, descriptions (5.4)', (t) => {
  t.is(logicalPageSize(0x15), 16384);
  t.is(logicalPageSize(0x21), 16384);
  t.is(logicalPageSize(0x13), 4096);
  t.is(logicalPageSize(0x21 | (4 << 6)), 8192);
  t.is(physicalPageSize(0x29), 8192);
  t.true(isValidFlags(0x15, true));
  t.true(isValidFlags(0x21, true));
  t.true(isValidFlags(0x29, true));
  t.true(isValidFlags(0x35, true));
  t.true(isValidFlags(0x10021, true));
  t.false(isValidFlags(0x20, true)); // ATOMIC_BLOBS without POST_ANTELOPE
  t.false(isValidFlags(0x10 | 8, true)); // full_crc32 page size code 8
  t.false(isValidFlags(0x15 | (7 << 5), true)); // algorithm 7
  t.false(isValidFlags(0x21 | (1 << 11), true)); // reserved bit
  t.is(describeFlags(0x15), '0x15 (full_crc32, 16K)');
  t.is(describeFlags(0x29), '0x29 (crc32, 16K, COMPRESSED 8K)');
  t.is(describeFlags(0x35), '0x35 (full_crc32, 16K, page_compressed zlib)');
  t.is(describeFlags(0x10021), '0x10021 (crc32, 16K, page_compressed)');
  t.is(cryptDataOffset(16384), 10428);
});

/** ut_fold_binary() as the server computes it: in 64-bit ulint arithmetic. */
function fold64(p: Uint8Array, start: number, end: number): bigint {
  const M = (1n << 64n) - 1n;
  let f = 0n;
  for (let i = start; i < end; i++) {
    const b = BigInt(p[i]!);
    f = ((((((f ^ b ^ 1653893711n) << 8n) & M) + f) & M) ^ 1463735687n) + b & M;
  }
  return f;
}

test('legacy "innodb" checksums: 32-bit fold equals the 64-bit server fold truncated; accepted field combinations', (t) => {
  const p = indexPage(7, 3);
  for (let i = 38; i < PS - 8; i += 7) p[i] = (i * 31) & 0xff;
  finalizePage(p, 0x0000_0007_0000_0123n, 0x21);
  const newSum = Number((fold64(p, 4, 26) + fold64(p, 38, PS - 8)) & 0xffffffffn);
  const oldSum = Number(fold64(p, 0, 26) & 0xffffffffn);
  t.is(innodbNewChecksum(p), newSum);
  t.is(innodbOldChecksum(p), oldSum);
  const put = (q: Uint8Array, o: number, x: number) => q.set([x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255], o);
  const variant = (f1: number, f2: number) => {
    const q = Uint8Array.from(p);
    put(q, 0, f1);
    put(q, PS - 8, f2);
    // the old checksum covers bytes 0..25, so recompute it once field 1 is in place
    if (f2 === -1) put(q, PS - 8, innodbOldChecksum(q));
    return pageChecksumProblem(q, 0x21);
  };
  t.is(variant(newSum, -1), undefined);
  t.is(variant(0, -1), undefined);
  t.is(variant(0xdeadbeef, -1), undefined);
  t.is(variant(newSum, 7), undefined); // field 2 = high 32 bits of FIL_PAGE_LSN: very old format, not checked
  t.truthy(variant(newSum, 0x12345678));
  t.truthy(variant(newSum ^ 1, -1));
});
