/**
 * Tables of the workload, one per storage shape a real server writes: the three row formats with
 * a primary key, a secondary and a unique index; off-page BLOB/TEXT; a partitioned table; and the
 * names used by the DDL phase (CREATE / RENAME / TRUNCATE / DROP).
 */
export interface WorkloadSchema {
  db: string;
  /** Tables with the `(id, k, u, pad, n)` layout, by row format. */
  rowTables: string[];
  blobTable: string;
  partTable: string;
  /** Names the DDL phase creates, renames and drops; absent ones checksum to 'NULL'. */
  ddlTables: string[];
}

/** The schema names inside database `db`. */
export function workloadSchema(db: string): WorkloadSchema {
  return {
    db,
    rowTables: [`${db}.t_dynamic`, `${db}.t_compact`, `${db}.t_redundant`],
    blobTable: `${db}.t_blob`,
    partTable: `${db}.t_part`,
    ddlTables: [`${db}.ddl_a`, `${db}.ddl_b`, `${db}.ddl_c`],
  };
}

/** Every table a restore point checksums (fixed set, so points are comparable). */
export function pointTables(s: WorkloadSchema): string[] {
  return [...s.rowTables, s.blobTable, s.partTable, ...s.ddlTables];
}

/** Tables that exist throughout the workload (row counts are taken for these). */
export function permanentTables(s: WorkloadSchema): string[] {
  return [...s.rowTables, s.blobTable, s.partTable];
}

const ROW_COLUMNS = `id INT NOT NULL PRIMARY KEY, k INT NOT NULL, u VARCHAR(40) NOT NULL,
  pad VARCHAR(400) NOT NULL, n BIGINT NOT NULL, UNIQUE KEY uk_u (u), KEY k_k (k)`;

/** DDL creating the workload database and tables. */
export function createSchemaSql(s: WorkloadSchema): string {
  const fmts = ['DYNAMIC', 'COMPACT', 'REDUNDANT'];
  return [
    `CREATE DATABASE IF NOT EXISTS \`${s.db}\``,
    ...s.rowTables.map((t, i) => `CREATE TABLE ${t} (${ROW_COLUMNS}) ENGINE=InnoDB ROW_FORMAT=${fmts[i]}`),
    `CREATE TABLE ${s.blobTable} (id INT NOT NULL PRIMARY KEY, tag VARCHAR(20) NOT NULL, b LONGBLOB NOT NULL,
      t MEDIUMTEXT NOT NULL, KEY k_tag (tag)) ENGINE=InnoDB ROW_FORMAT=DYNAMIC`,
    `CREATE TABLE ${s.partTable} (id INT NOT NULL, k INT NOT NULL, pad VARCHAR(300) NOT NULL,
      PRIMARY KEY (id), KEY k_k (k)) ENGINE=InnoDB PARTITION BY HASH (id) PARTITIONS 4`,
  ]
    .map((q) => `${q};`)
    .join('\n');
}
