import type { ByteCursor } from '../cursor.js';
import type { Lsn } from '../lsn.js';
import { FILE_CHECKPOINT, FILE_CREATE, FILE_DELETE, FILE_MODIFY, FILE_RENAME, PADDING } from './types.js';

/**
 * File-level records (redo-format.md 4.7): same_page flag set before any page
 * record of the mtr. Body: space id varint, page number byte 0x00, then the
 * name(s), relative to the datadir, not NUL-terminated, ending in ".ibd":
 *
 *   bd 05 00 2e2f64312f74312e696264             FILE_MODIFY space 5 "./d1/t1.ibd"
 *   a0 0b 09 00 "./d1/t5.ibd" 00 "./d1/t6.ibd"  FILE_RENAME space 9 (long length form)
 *   fa 00 00 <8-byte LSN>                        FILE_CHECKPOINT, last record of its mtr
 *
 * A FILE_CHECKPOINT body of zeros that is not 10 bytes long is padding (3.7).
 */

/** The reader fields a file record sets. */
export interface FileRecordFields {
  type: number;
  spaceId: number;
  pageNo: number;
  dataStart: number;
  dataEnd: number;
  checkpointLsn: Lsn;
  newNameStart: number;
}

/**
 * Decodes the file record with first byte `b` and body bytes[q, end) into
 * `out`. `isLast`: the record ends its mtr's records (FILE_CHECKPOINT must).
 * Returns undefined, or what is wrong (the caller raises it with the record's
 * LSN, file and offset).
 */
export function decodeFileRecord(
  out: FileRecordFields,
  bytes: Uint8Array,
  b: number,
  q: number,
  end: number,
  isLast: boolean,
  cur: ByteCursor,
): string | undefined {
  cur.pos = q;
  cur.end = end;
  const type = b & 0xf0;
  out.type = type;
  if (type === FILE_CHECKPOINT) {
    let zero = true;
    for (let i = cur.pos; i < cur.end; i++) if (bytes[i] !== 0) zero = false;
    if (zero && cur.end - cur.pos !== 10) {
      out.type = PADDING;
      out.dataStart = cur.pos;
      out.dataEnd = cur.end;
      return undefined;
    }
  }
  const space = cur.varint(5);
  if (space < 0) return 'invalid space id in file record';
  out.spaceId = space;
  out.pageNo = 0;
  if (cur.pos >= cur.end || bytes[cur.pos] !== 0) return 'file record page number is not 0';
  cur.pos++;
  out.dataStart = cur.pos;
  out.dataEnd = cur.end;
  if (type === FILE_CHECKPOINT) {
    if (space !== 0 || cur.end - cur.pos !== 8) return 'malformed FILE_CHECKPOINT';
    out.checkpointLsn = cur.u64();
    return isLast ? undefined : 'FILE_CHECKPOINT is not the last record of its mtr';
  }
  if (type !== FILE_CREATE && type !== FILE_DELETE && type !== FILE_RENAME && type !== FILE_MODIFY) {
    return `unknown file-level record type 0x${type.toString(16)}`;
  }
  if (space === 0) return 'file record for space 0';
  let nul = -1;
  let nuls = 0;
  for (let i = cur.pos; i < cur.end; i++) {
    if (bytes[i] === 0) {
      nuls++;
      nul = i;
    }
  }
  if (type === FILE_RENAME) {
    if (nuls !== 1) return `FILE_RENAME with ${nuls} NUL separators`;
    out.newNameStart = nul + 1;
    if (!endsWithIbd(bytes, cur.pos, nul) || !endsWithIbd(bytes, nul + 1, cur.end)) return 'FILE_RENAME name not ending in .ibd';
    return undefined;
  }
  if (nuls !== 0) return 'NUL byte in file name';
  if (!endsWithIbd(bytes, cur.pos, cur.end)) return 'file name not ending in .ibd';
  return undefined;
}

/** True if bytes[start, end) is longer than and ends with ".ibd". */
function endsWithIbd(bytes: Uint8Array, start: number, end: number): boolean {
  return (
    end - start > 4 && bytes[end - 4] === 0x2e && bytes[end - 3] === 0x69 && bytes[end - 2] === 0x62 && bytes[end - 1] === 0x64
  );
}
