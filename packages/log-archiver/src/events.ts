import type { Lsn } from '@ibarchive/parser';

/** Progress and problems reported by the archiver (the CLI prints them, as text or JSON lines). */
export type ArchiveEvent =
  | { type: 'start'; archiveDir: string; log: string; nextLsn: Lsn; resumed: boolean }
  | { type: 'segment'; file: string; startLsn: Lsn; endLsn: Lsn; logBytes: number; storedBytes: number }
  | {
      type: 'progress';
      /** Read and certified up to here (in memory or on disk). */
      archivedLsn: Lsn;
      /** Durable in segment files up to here. */
      durableLsn: Lsn;
      /** End of the valid log seen in the server's file at this poll. */
      serverLsn: Lsn;
      lagBytes: Lsn;
      lagSeconds: number;
      /** capacity − (serverLsn − archivedLsn): log the server may still write before unarchived data is overwritten. */
      headroom: Lsn;
      capacity: number;
    }
  | { type: 'gap'; from: Lsn; to: Lsn; reason: string }
  | { type: 'log-changed'; log: string; firstLsn: Lsn; capacity: number }
  | { type: 'warning'; message: string }
  | { type: 'error'; message: string }
  | { type: 'stop'; archivedLsn: Lsn };
