import { createRequire } from 'node:module';

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final XOR
 * 0xFFFFFFFF): the checksum of every redo mtr, of the log header and
 * checkpoint blocks, and of full_crc32 pages. Check value: crc32c("123456789")
 * = 0xe3069283.
 */
const require = createRequire(import.meta.url);
const impl = require('crc-32/crc32c') as { buf(data: Uint8Array, seed?: number): number };

/**
 * CRC-32C of `data`, continuing from `seed` (the previous result) if given.
 * Returns an unsigned 32-bit number.
 */
export function crc32c(data: Uint8Array, seed = 0): number {
  return impl.buf(data, seed) >>> 0;
}
