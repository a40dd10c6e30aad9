export { type FileRandomAccess, fileRandomAccess } from './file.js';
export { type LogPathKind, type OpenedLog, openLogPath } from './open.js';
export {
  type Compression,
  type SegmentHeader,
  type TimeSample,
  SEGMENT_MAGIC,
  encodeSegmentHeader,
  decodeSegmentHeader,
  segmentFileName,
  gapFileName,
  parseRangeFileName,
} from './segment-format.js';
export { type ReadSegment, readSegmentFile } from './segment-io.js';
export { type ArchiveIdentity, type GapRecord, IDENTITY_FILE, STATUS_FILE, readIdentity } from './archive-layout.js';
export { type Archive, type ArchiveGap, type SegmentInfo, openArchive } from './archive-reader.js';
export { type ArchiveEvent } from './events.js';
export { type ArchiverOptions, type ArchiverSummary, runArchiver } from './archiver.js';
export { type IngestBackupOptions, ingestBackup } from './from-backup.js';
export { type ExportLogOptions, type ExportLogResult, exportLog } from './export-log.js';
export { certifiedFloor, oldestCertifiedCheckpoint } from './certify.js';
