import { type KnownMtrs, readMtrBatches, type LogEnd, type LogSource, type Lsn, type MtrBatch, type PageResetSink } from '@ibarchive/parser';

/** The part of one log source a read used. */
export interface SourceSpan {
  readonly source: string;
  readonly fromLsn: Lsn;
  readonly toLsn: Lsn;
}

/**
 * Reads whole mtrs from several log sources stitched by LSN: at each position
 * the first source (in the given order) that starts at or before it is read
 * until its end; the next source continues from there. Ends (one LogEnd) where
 * no source has more, or before the first mtr starting at or after `toLsn`.
 * Spans actually read are appended to `spans`. A circular source read beyond
 * its end would wrap into older log: `ends` remembers where each one ended.
 */
export async function* readStitched(
  sources: readonly LogSource[],
  fromLsn: Lsn,
  options: {
    toLsn?: Lsn | undefined;
    batchBytes?: number | undefined;
    /** False: framing only, CRCs not checked (see ReadMtrOptions.checksums). */
    checksums?: boolean | undefined;
    /** Filled with each batch's FREE_PAGE / INIT_PAGE records (see ReadMtrOptions.resets). */
    resets?: PageResetSink | undefined;
    /** Mtr boundaries a look-ahead found (see ReadMtrOptions.known). */
    known?: KnownMtrs | undefined;
    spans?: SourceSpan[];
    /** Where each source's log was found to end; filled in, and consulted so that a re-read never reads past it. */
    ends?: Map<LogSource, Lsn>;
  } = {},
): AsyncGenerator<MtrBatch | LogEnd> {
  let pos = fromLsn;
  const done = new Set<LogSource>();
  let last: LogEnd | undefined;
  for (;;) {
    const ends = options.ends;
    const src = sources.find((s) => !done.has(s) && s.firstLsn <= pos && !(ends?.has(s) && ends.get(s)! <= pos));
    if (!src) {
      yield last ?? { kind: 'end', endLsn: pos, reason: 'eof', file: sources[0]?.name ?? '', offset: 0 };
      return;
    }
    done.add(src);
    const from = pos;
    for await (const item of readMtrBatches(src, pos, { toLsn: options.toLsn, batchBytes: options.batchBytes, checksums: options.checksums, resets: options.resets, known: options.known })) {
      if (item.kind === 'batch') {
        yield item;
        continue;
      }
      last = item;
      if (item.reason !== 'to-lsn' && ends && !ends.has(src)) ends.set(src, item.endLsn);
      if (item.endLsn > from) options.spans?.push({ source: src.name, fromLsn: from, toLsn: item.endLsn });
      if (item.endLsn > pos) {
        pos = item.endLsn;
        done.clear();
        done.add(src);
      }
      if (item.reason === 'to-lsn') {
        yield item;
        return;
      }
    }
  }
}
