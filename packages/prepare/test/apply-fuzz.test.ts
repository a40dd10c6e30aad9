import test from 'ava';
import { ApplyError, applyRecord } from '../src/apply/index.js';
import { PS, apply, ctx, decode, extRec, initPageRec, insDynPayload, insRedPayload, u16, v, validateIndexPage } from './apply-helpers.js';

/**
 * Property: whatever the record and page bytes, an applier either succeeds or
 * throws ApplyError, and an insert or delete that throws has not modified the
 * page (every check comes before the first write, as in page0cur.cc).
 */

function prng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

function basePage(comp: boolean): Uint8Array {
  const p = new Uint8Array(PS);
  const space = comp ? 5 : 6;
  apply(p, [...initPageRec(space, 3), ...extRec(space, 3, comp ? 1 : 0, [])]);
  let prev = 0;
  for (let i = 0; i < 30; i++) {
    const data = Array.from({ length: 19 }, (_, j) => (i * 7 + j) & 0xff);
    apply(p, extRec(space, 3, comp ? 6 : 4, comp ? insDynPayload({ prev, hdr: [], data }) : insRedPayload(prev, [4, 6, 7, 2], data)));
    prev = u16(p, 40) - 19 - (comp ? 99 : 101);
  }
  // free a few records so that REUSE has a free list
  for (let i = 0; i < 3; i++) apply(p, extRec(space, 3, comp ? 9 : 8, comp ? [...v(0), ...v(0), ...v(19)] : v(0)));
  return p;
}

for (const comp of [true, false]) {
  test(`random ${comp ? 'COMPACT' : 'REDUNDANT'} page/record corruption only ever gives ApplyError, before any write`, (t) => {
    const rnd = prng(comp ? 11 : 12);
    const base = basePage(comp);
    const space = comp ? 5 : 6;
    const inf = comp ? 99 : 101;
    const origins = [inf, ...validateIndexPage(base).records];
    let applied = 0;
    let refused = 0;
    for (let iter = 0; iter < 4000; iter++) {
      const page = Uint8Array.from(base);
      // corrupt 0..3 bytes of the page header, records or directory
      for (let k = rnd(2) * rnd(4); k > 0; k--) {
        const where = rnd(3);
        const o = where === 0 ? 38 + rnd(26) : where === 1 ? 94 + rnd(700) : PS - 8 - 2 - rnd(16);
        page[o] = rnd(256);
      }
      const subtype = comp ? [6, 7, 9][rnd(3)]! : [4, 5, 8][rnd(3)]!;
      let payload: number[];
      // mostly plausible records (an existing predecessor, sizes of the page's rows), some wild ones
      const wild = rnd(3) === 0;
      const prev = wild ? rnd(4) === 0 ? rnd(70000) : rnd(800) : origins[rnd(origins.length - 1)]! - inf;
      const data = Array.from({ length: 19 }, () => rnd(256));
      if (subtype === 9) payload = [...v(prev), ...v(wild ? rnd(4) : 0), ...v(wild ? rnd(40) : 19)];
      else if (subtype === 8) payload = v(prev);
      else if (subtype === 4 || subtype === 5) {
        payload = wild
          ? [...v(prev), ...v((rnd(5) << 3) | 4 | rnd(4)), ...v(rnd(8)), ...v(rnd(25)), ...Array.from({ length: rnd(40) }, () => rnd(256))]
          : insRedPayload(prev, [4, 6, 7, 2], data);
      } else {
        payload = wild
          ? [...v(prev), ...(subtype === 7 ? v(rnd(12)) : []), ...v(rnd(40)), ...v(rnd(6)), ...v(rnd(25)), ...Array.from({ length: rnd(40) }, () => rnd(256))]
          : insDynPayload({ prev, reuse: subtype === 7, shift: 0, hdr: [], data, dataC: rnd(20) });
      }
      let recs;
      try {
        recs = decode(extRec(space, 3, subtype, payload));
      } catch {
        continue; // the record reader already refuses it
      }
      const before = Uint8Array.from(page);
      try {
        applyRecord(page, recs[0]!, ctx());
        applied++;
      } catch (e) {
        if (!(e instanceof ApplyError)) {
          t.fail(`iteration ${iter}: ${String(e)}`);
          return;
        }
        refused++;
        if (!/directory walk|of record \d+ is outside the heap|successor to transfer|outside the page$/.test(e.check) && !Buffer.from(page).equals(Buffer.from(before))) {
          t.fail(`iteration ${iter}: page modified before refusing: ${e.message}`);
          return;
        }
      }
      t.is(page.length, PS);
    }
    t.log(`${applied} applied, ${refused} refused`);
    t.true(applied > 1000 && refused > 500);
  });
}
