import { CorruptLogError, type Lsn, type PageRecord } from '@ibarchive/parser';

export type { PageRecord };

/** What an applier needs besides the page and the record. */
export interface ApplyContext {
  /** Physical page size of the tablespace (bytes). */
  pageSize: number;
  /** Start LSN of the record's mtr, named in error messages. */
  lsn?: Lsn | undefined;
  /** Log file (or archive segment) that held the record, named in error messages. */
  file?: string | undefined;
}

/**
 * A record could not be applied because the page (or the record) fails one of
 * the consistency checks MariaDB makes before applying it (the server reports
 * "Not applying ... due to corruption on page" and aborts recovery). Message:
 * `not applying INSERT_HEAP_DYNAMIC to page 5:3: owner record not found within 8 steps at LSN 4794796 (ib_logfile0)`.
 */
export class ApplyError extends CorruptLogError {
  readonly spaceId: number;
  readonly pageNo: number;
  /** Record name: the type, or for EXTENDED the subtype name. */
  readonly record: string;
  /** The violated check. */
  readonly check: string;

  constructor(record: string, spaceId: number, pageNo: number, check: string, ctx: ApplyContext) {
    super(`not applying ${record} to page ${spaceId}:${pageNo}: ${check}`, { lsn: ctx.lsn, file: ctx.file });
    this.spaceId = spaceId;
    this.pageNo = pageNo;
    this.record = record;
    this.check = check;
  }
}
