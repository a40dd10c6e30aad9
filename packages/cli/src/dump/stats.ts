import { formatLsn, type Lsn, RecordReader, recordName } from '@ibarchive/parser';

/** Counts and bytes per record type, pages touched: the data of `dump --stats`. */
export class DumpStats {
  records = 0;
  private readonly perType = new Map<string, { count: number; bytes: number }>();
  private readonly pages = new Map<number, Set<number>>();

  add(r: RecordReader): void {
    this.records++;
    const name = recordName(r.type, r.subtype);
    let e = this.perType.get(name);
    if (!e) this.perType.set(name, (e = { count: 0, bytes: 0 }));
    e.count++;
    e.bytes += r.recEnd - r.recStart;
    if (!r.isFileRecord) {
      let s = this.pages.get(r.spaceId);
      if (!s) this.pages.set(r.spaceId, (s = new Set()));
      s.add(r.pageNo);
    }
  }

  /** Per-type counts sorted by name. */
  types(): Record<string, { count: number; bytes: number }> {
    const out: Record<string, { count: number; bytes: number }> = {};
    for (const k of [...this.perType.keys()].sort()) out[k] = this.perType.get(k)!;
    return out;
  }

  pagesTouched(): number {
    let n = 0;
    for (const s of this.pages.values()) n += s.size;
    return n;
  }

  spacesTouched(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }
}

/** What a dump decoded, and why it stopped. */
export interface DumpSummary {
  kind: string;
  fromLsn: Lsn;
  /** LSN of the first and last mtr decoded (undefined if none). */
  firstLsn: Lsn | undefined;
  lastLsn: Lsn | undefined;
  /** LSN after the last valid mtr: where decoding stopped. */
  endLsn: Lsn;
  endReason: string;
  endFile: string;
  endOffset: number;
  mtrs: number;
  mtrBytes: number;
}

const REASONS: Record<string, string> = {
  zero: 'end of log: 0x00/0x01 where the next mtr would start',
  seqbit: 'end of log: the next mtr has the sequence bit of another pass over the ring',
  checksum: 'end of log: the next mtr fails its checksum (nothing valid follows)',
  length: 'end of log: the next mtr has an invalid length',
  eof: 'end of the available log bytes',
  'to-lsn': 'reached --to-lsn',
};

/** One line: "first LSN .., last LSN .., end LSN ..: <reason> (file, offset 0x..)". */
export function describeEnd(s: DumpSummary): string {
  const range =
    s.firstLsn === undefined
      ? `no mtr decoded from LSN ${formatLsn(s.fromLsn)}`
      : `first mtr LSN ${formatLsn(s.firstLsn)}, last mtr LSN ${formatLsn(s.lastLsn!)}, end LSN ${formatLsn(s.endLsn)}`;
  return `${range}; ${s.mtrs} mtrs; stopped: ${REASONS[s.endReason] ?? s.endReason} at LSN ${formatLsn(s.endLsn)} (${s.endFile}, offset 0x${s.endOffset.toString(16)})`;
}

/** JSON form of the summary (LSNs as decimal strings). */
export function summaryToJSON(s: DumpSummary): Record<string, unknown> {
  return {
    kind: s.kind,
    fromLsn: formatLsn(s.fromLsn),
    firstLsn: s.firstLsn === undefined ? null : formatLsn(s.firstLsn),
    lastLsn: s.lastLsn === undefined ? null : formatLsn(s.lastLsn),
    endLsn: formatLsn(s.endLsn),
    endReason: s.endReason,
    endOffset: s.endOffset,
    mtrs: s.mtrs,
    mtrBytes: s.mtrBytes,
  };
}
