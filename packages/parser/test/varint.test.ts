import test from 'ava';
import { decodeVarint, encodeVarint, varintLength } from '../src/index.js';
import { hex } from './hex.js';

// Real encodings listed in redo-format.md section 2.
const examples: [string, number][] = [
  ['2d', 45],
  ['80 2e', 174],
  ['80 73', 243],
  ['80 ad', 301],
  ['8f 83', 4099],
  ['aa b2', 11058],
  ['82 00', 640],
  ['94 eb', 5483],
  ['bf ff', 16511],
  ['c0 00 00', 16512],
];

for (const [h, v] of examples) {
  test(`varint ${h} = ${v}`, (t) => {
    const b = hex(h);
    t.is(varintLength(b[0]!), b.length);
    t.is(decodeVarint(b, 0), v);
    t.deepEqual(encodeVarint(v), b);
  });
}

test('varint boundaries round-trip in the shortest form', (t) => {
  const cases: [number, number][] = [
    [0, 1], [127, 1], [128, 2], [16511, 2], [16512, 3], [2113663, 3], [2113664, 4],
    [270549119, 4], [270549120, 5], [0xffffffff, 5],
  ];
  for (const [v, len] of cases) {
    const b = encodeVarint(v);
    t.is(b.length, len, `length of ${v}`);
    t.is(decodeVarint(b, 0), v);
  }
});

test('invalid varints', (t) => {
  t.is(varintLength(0xf1), 0);
  t.is(decodeVarint(hex('f1 00 00 00 00'), 0), -1);
  // 0x10204080 + 0xffffffff exceeds 32 bits
  t.is(decodeVarint(hex('f0 ff ff ff ff'), 0), -1);
  t.is(decodeVarint(hex('f0 ef df bf 7f'), 0), 0xffffffff);
});
