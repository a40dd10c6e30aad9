export { startServer, startServerOn, Server, type ServerOptions, type StopOptions } from './server.js';
export { Session } from './sql.js';
export { prepareWithMariadbBackup, type BackupResult } from './backup.js';
export { parseLogStatus, type LogStatus } from './status.js';
export { DEFAULT_MARIADBD_OPTIONS } from './options.js';
export { HarnessError } from './errors.js';
