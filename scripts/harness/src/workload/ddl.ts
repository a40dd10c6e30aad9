import type { Prng } from './prng.js';
import type { WorkloadSchema } from './schema.js';

/** One step of the DDL phase: SQL to run, then a restore point with this name. */
export interface DdlStep {
  point: string;
  sql: string;
}

function rows(r: Prng, from: number, count: number): string {
  const v: string[] = [];
  for (let id = from; id < from + count; id++) v.push(`(${id}, ${r.int(0, 9999)}, '${r.text(r.int(20, 190))}')`);
  return v.join(',');
}

/**
 * DDL that makes the server write FILE_CREATE, FILE_RENAME and FILE_DELETE records: create and
 * fill a table, rename it, truncate it (a new tablespace replaces the old one), add an index,
 * rebuild a table (copy into a temporary tablespace that is then renamed), and drop.
 * Ends with ddl_c present and ddl_a, ddl_b absent.
 */
export function ddlSteps(s: WorkloadSchema, r: Prng): DdlStep[] {
  const [a, b, c] = s.ddlTables as [string, string, string];
  const cols = 'id INT NOT NULL PRIMARY KEY, k INT NOT NULL, pad VARCHAR(200) NOT NULL, KEY k_k (k)';
  return [
    {
      point: 'ddl-created',
      sql: `CREATE TABLE ${a} (${cols}) ENGINE=InnoDB; INSERT INTO ${a} VALUES ${rows(r, 1, 300)};`,
    },
    {
      point: 'ddl-renamed',
      sql: `RENAME TABLE ${a} TO ${b}; UPDATE ${b} SET k = k + 1 WHERE id <= 100;`,
    },
    {
      point: 'ddl-truncated',
      sql: [
        `TRUNCATE TABLE ${b};`,
        `INSERT INTO ${b} VALUES ${rows(r, 1000, 50)};`,
        `CREATE TABLE ${c} (${cols}) ENGINE=InnoDB ROW_FORMAT=COMPACT;`,
        `INSERT INTO ${c} VALUES ${rows(r, 1, 400)};`,
        `ALTER TABLE ${c} ADD INDEX k_pad (pad(20));`,
        `ALTER TABLE ${c} FORCE;`,
        `DELETE FROM ${c} WHERE id % 5 = 0;`,
      ].join('\n'),
    },
    {
      point: 'ddl-dropped',
      sql: `DROP TABLE ${b}; INSERT INTO ${c} VALUES ${rows(r, 5000, 100)};`,
    },
  ];
}
