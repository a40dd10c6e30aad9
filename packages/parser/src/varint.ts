/**
 * InnoDB redo variable-length integers (redo-format.md section 2; MariaDB
 * `mlog_decode_varint` in mtr0log.h). The count of leading 1-bits of the
 * first byte is the count of extra bytes; each longer form is biased by the
 * largest value of the shorter forms:
 *
 *   0xxxxxxx                      1 byte   0 .. 127
 *   10xxxxxx b1                   2 bytes  0x80 + ...         (128 .. 16511)
 *   110xxxxx b1 b2                3 bytes  0x4080 + ...       (.. 2113663)
 *   1110xxxx b1 b2 b3             4 bytes  0x204080 + ...     (.. 270549119)
 *   11110000 b1 b2 b3 b4          5 bytes  0x10204080 + u32   (.. 0xFFFFFFFF)
 *   0xF1 .. 0xFF                  invalid
 *
 * Example: `8f 83` = 0x80 + 0x0f83 = 4099; `c0 00 00` = 16512.
 */

/** Bytes of the varint whose first byte is `b0`, or 0 if `b0` cannot start a varint. */
export function varintLength(b0: number): number {
  if (b0 < 0x80) return 1;
  if (b0 < 0xc0) return 2;
  if (b0 < 0xe0) return 3;
  if (b0 < 0xf0) return 4;
  return b0 === 0xf0 ? 5 : 0;
}

/**
 * Decodes the varint at `bytes[pos]`. The caller has checked that
 * `varintLength(bytes[pos])` bytes are available. Returns -1 if the encoding
 * is invalid (first byte 0xF1..0xFF, or a 5-byte value above 0xFFFFFFFF).
 */
export function decodeVarint(bytes: Uint8Array, pos: number): number {
  const b0 = bytes[pos]!;
  if (b0 < 0x80) return b0;
  if (b0 < 0xc0) return 0x80 + (((b0 & 0x3f) << 8) | bytes[pos + 1]!);
  if (b0 < 0xe0) return 0x4080 + (((b0 & 0x1f) << 16) | (bytes[pos + 1]! << 8) | bytes[pos + 2]!);
  if (b0 < 0xf0) {
    return 0x204080 + (b0 & 0x0f) * 0x1000000 + ((bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!);
  }
  if (b0 !== 0xf0) return -1;
  const v =
    0x10204080 + bytes[pos + 1]! * 0x1000000 + ((bytes[pos + 2]! << 16) | (bytes[pos + 3]! << 8) | bytes[pos + 4]!);
  return v > 0xffffffff ? -1 : v;
}

/** Encodes `value` (0 .. 0xFFFFFFFF) in the shortest form. */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`varint out of range: ${value}`);
  if (value < 0x80) return Uint8Array.of(value);
  if (value < 0x4080) {
    const v = value - 0x80;
    return Uint8Array.of(0x80 | (v >> 8), v & 0xff);
  }
  if (value < 0x204080) {
    const v = value - 0x4080;
    return Uint8Array.of(0xc0 | (v >> 16), (v >> 8) & 0xff, v & 0xff);
  }
  if (value < 0x10204080) {
    const v = value - 0x204080;
    return Uint8Array.of(0xe0 | Math.floor(v / 0x1000000), (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
  }
  const v = value - 0x10204080;
  return Uint8Array.of(0xf0, Math.floor(v / 0x1000000) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}
