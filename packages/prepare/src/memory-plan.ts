import { MAX_RECORDS_PER_MTR } from './plan.js';
import { RECORD_BYTES } from './record-store.js';

/**
 * Reads of one source prepare may hold at once, plus one: the chunk being
 * decoded and the one read ahead (prefetch.ts); a batch is consumed (copied
 * into a window) before the next read is made.
 */
export const SOURCE_READ_BUFFERS = 4;
/** The same again for the look-ahead thread's reads (look-ahead.ts), from LOOK_AHEAD_MIN_MEMORY on. */
export const LOOK_AHEAD_READ_BUFFERS = SOURCE_READ_BUFFERS;
/** Below this --use-memory there is no look-ahead: its read buffers would crowd out pages. */
export const LOOK_AHEAD_MIN_MEMORY = 256 << 20;
/** Bytes per mtr boundary the look-ahead hands over (KnownMtrs: a Float64 start, a Uint32 length). */
export const KNOWN_MTR_BYTES = 12;
/**
 * Windows held back once decoded, so that the pages they reset are dropped
 * from the window before (see passes.ts). With the look-ahead's hints few
 * records are left for them to void: on the bench holding back 1 took
 * 2.59 s, 2 took 2.79 s (the apply thread starts later); without hints
 * (below LOOK_AHEAD_MIN_MEMORY) 2 are held back.
 */
export const HOLD_BACK_WITH_HINTS = 1;
/**
 * Look-ahead lead past the decoded LSN from which no window is held back:
 * the resets a held window would catch lie in the next window or two (up to
 * ~40 MB of log on the bench), and the look-ahead has reported them already.
 */
export const NO_HOLD_LEAD = 64 << 20;
export const HOLD_BACK = 2;
/**
 * Window slots: one being applied, one held back and one queued for the
 * apply thread (or two held back), one being decoded. With hints, 4 slots
 * took 2.59 s against 2.65 s for 3.
 */
export const SLOTS = 4;
/** Fewest pages a pass holds, whatever --use-memory says. */
const MIN_SLOTS = 64;
/**
 * Share of --use-memory for each of the SLOTS window slots, up to
 * MAX_WINDOW. Larger windows apply less (records of a page that an INIT_PAGE
 * in a later window voids are applied in vain: on the bench, 128 / 256 / 512
 * MiB windows with no look-ahead apply 12.5 / 9.9 / 7.9 M records) but touch
 * more fresh memory, which costs up to 3 ms per MB on the VM measured: there,
 * at 1 GiB, windows of 30 / 47 / 70 / 111 MiB took 3.9 / 3.6 / 3.8 / 3.9 s.
 */
const WINDOW_SHARE = 0.11;
const MAX_WINDOW = 48 << 20;
/**
 * Share of --use-memory kept for pages at least: pages that do not fit cost
 * a further pass over the whole log each, far more than smaller windows do.
 */
const PAGE_SHARE = 0.5;
/** Smallest arena: the largest mtr (1 MiB) and then some. */
const MIN_ARENA = 2 << 20;

/** How prepare splits its memory (see memoryPlan). */
export interface MemoryPlan {
  /** Bytes per log read, and per prefetched chunk (see readSizes). */
  readonly batchBytes: number;
  readonly chunkBytes: number;
  /** Per window slot: bytes in all, rows, and the arena the log bytes are copied into. */
  readonly windowBytes: number;
  readonly windowRecords: number;
  readonly arenaBytes: number;
  /** Pages one pass holds. */
  readonly maxSlots: number;
  /** Bytes of pages written per flush group. */
  readonly flushBytes: number;
  /** Room for the look-ahead's reads (see LOOK_AHEAD_MIN_MEMORY). */
  readonly lookAhead: boolean;
  /**
   * Mtr boundaries the look-ahead may hold ahead of decoding (a power of
   * two, ~1/32 of the memory; 0 without look-ahead): 2 M at 1 GiB, about
   * 370 MB of the bench log, more than the 256 MiB it reads ahead.
   */
  readonly knownMtrs: number;
}

/**
 * Log reads (batches framed, checked and decoded one after the other) of
 * `batchBytes`, served from prefetched chunks of up to 9 MiB that overlap the
 * previous one by 1 MiB. A batch of 1 MiB stays in the L2 cache (2 MiB per
 * core here) while it is framed, checked, copied and decoded: pass 1 took
 * ~2.22 s with 1 MiB batches against ~2.37 s with 4 MiB (medians of 6, the same
 * chunks); 512 KiB gave ~2.30 s. Larger chunks mean fewer overlapping re-reads.
 */
export function readSizes(memory: number): { batchBytes: number; chunkBytes: number } {
  const chunkBatch = Math.max(1 << 20, Math.min(4 << 20, Math.floor(memory / 64)));
  return { batchBytes: 1 << 20, chunkBytes: 2 * chunkBatch + (1 << 20) };
}

/**
 * Splits `memory` (--use-memory) between log reads (SOURCE_READ_BUFFERS
 * chunks, and LOOK_AHEAD_READ_BUFFERS more), SLOTS windows (rows and arena) and the pages of a pass, which get
 * at least PAGE_SHARE of it. Rows are reserved for the worst case but cost
 * memory only as they are used (about the arena's size on real logs).
 */
export function memoryPlan(memory: number, pageSize: number): MemoryPlan {
  const { batchBytes, chunkBytes } = readSizes(memory);
  const lookAhead = memory >= LOOK_AHEAD_MIN_MEMORY;
  const knownMtrs = lookAhead ? 2 ** Math.floor(Math.log2(memory / 32 / KNOWN_MTR_BYTES)) : 0;
  const logBytes = (SOURCE_READ_BUFFERS + (lookAhead ? LOOK_AHEAD_READ_BUFFERS : 0)) * chunkBytes + knownMtrs * KNOWN_MTR_BYTES;
  const forWindows = Math.max(0, memory * (1 - PAGE_SHARE) - logBytes) / SLOTS;
  const windowBytes = Math.max(4 << 20, Math.floor(Math.min(MAX_WINDOW, memory * WINDOW_SHARE, forWindows)));
  const windowRecords = Math.max(MAX_RECORDS_PER_MTR, Math.floor((windowBytes * 0.6) / RECORD_BYTES));
  const arenaBytes = Math.max(MIN_ARENA, Math.floor(windowBytes * 0.4));
  const maxSlots = Math.max(MIN_SLOTS, Math.floor((memory - logBytes - SLOTS * windowBytes) / pageSize));
  const flushBytes = Math.max(pageSize * 64, Math.min(64 << 20, Math.floor(memory / 16)));
  return { batchBytes, chunkBytes, windowBytes, windowRecords, arenaBytes, maxSlots, flushBytes, lookAhead, knownMtrs };
}
