export { type FileRandomAccess, fileRandomAccess } from './file.js';
export { type LogPathKind, type OpenedLog, type OpenLogPathOptions, openLogPath } from './open.js';
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
export { type Lz4Encoder, LZ4_ENCODER } from './lz4-frame.js';
export { type ArchiveIdentity, type GapRecord, IDENTITY_FILE, STATUS_FILE, readIdentity } from './archive-layout.js';
export { type Archive, type ArchiveGap, type DamagedSegment, type OpenArchiveOptions, type SegmentInfo, openArchive } from './archive-reader.js';
export { type ArchiveEvent } from './events.js';
export { type ArchiverOptions, type ArchiverSummary, runArchiver } from './archiver.js';
export { type IngestBackupOptions, ingestBackup } from './from-backup.js';
export { type ExportLogOptions, type ExportLogResult, exportLog } from './export-log.js';
export { certifiedFloor, oldestCertifiedCheckpoint } from './certify.js';
export { type TimeResolution, type TimeEstimate, parseTimeSpec, formatTime, archiveSamples, resolveTime, snapToMtrEnd, estimateTime } from './time-target.js';
export { type VerifyProblem, type VerifyProblemKind, type VerifyProgress, type VerifyReport, type VerifyOptions, type RestoreBase, type RestoreAnswer, verifyArchive, restoreAnswer } from './verify.js';
export { type ArchiverStatusFile, type ArchiverState, type ArchiveStatus, type StatusOptions, ArchiverStatusWriter, archiveStatus, readArchiverState, statusProblems, writeAtomic } from './status.js';
export { formatMetrics, writeMetricsFile } from './metrics.js';
export { type FileEvent, type FileEventKind, type FindOptions, type FindResult, findFileEvents, matchesTable } from './find.js';
export { type ExpireRecord, type KeptBackup, type ExpireOptions, type ExpireItem, type ExpirePlan, EXPIRE_FILE, readExpireRecord, planExpire, applyExpire, parseDuration } from './expire.js';
