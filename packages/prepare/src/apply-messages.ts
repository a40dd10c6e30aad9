import type { ErrorClass, Lsn } from '@ibarchive/parser';
import type { CacheSnapshotData } from './page-cache.js';
import type { WindowMessage } from './window-records.js';

/** Messages between a prepare and its apply thread (ApplyPipeline, apply-worker.ts). */

export interface WorkerSetup {
  readonly dir: string;
  readonly pageSize: number;
  readonly maxSlots: number;
  /** Scratch file for pages beyond maxSlots (see PageCache); without it they are deferred to a later pass. */
  readonly spillPath?: string | undefined;
}

export type ToWorker =
  | { kind: 'pass'; pass: number; unknownSpaces: 'defer' | 'ignore' }
  /** `spaces`: where to read the pages of the spaces in the window (see SpaceResolver). */
  /** `voided`: pages the next window resets, whose records here are skipped. */
  | { kind: 'window'; store: number; window: WindowMessage; spaces: Array<[number, string | null | undefined]>; voided: Array<[number, number]> }
  | { kind: 'drop'; spaceId: number; trimmedTo: number | undefined }
  | { kind: 'end' };

export type FromWorker =
  | { kind: 'applied'; store: number }
  | { kind: 'warning'; message: string }
  | {
      kind: 'pass-done';
      pages: CacheSnapshotData;
      applied: number;
      skipped: number;
      touched: Array<[number, number]>;
      touchedTotal: number;
    }
  | {
      kind: 'error';
      name: string;
      message: string;
      errorClass: ErrorClass;
      lsn: Lsn | undefined;
      apply: { record: string; spaceId: number; pageNo: number; check: string } | undefined;
      stack: string | undefined;
    };
