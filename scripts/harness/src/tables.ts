import { HarnessError } from './errors.js';

/** Quotes `db.table` (or `table`) as an identifier. */
export function quoteTable(name: string): string {
  return name
    .split('.')
    .map((p) => `\`${p.replace(/`/g, '``')}\``)
    .join('.');
}

/** Builds `CHECKSUM TABLE ... EXTENDED` for the tables. */
export function checksumSql(tables: string[]): string {
  return `CHECKSUM TABLE ${tables.map(quoteTable).join(', ')} EXTENDED`;
}

/** Maps CHECKSUM TABLE result rows (in request order) to `{ table: checksum }`; a missing table gives 'NULL'. */
export function parseChecksums(tables: string[], rows: string[][]): Record<string, string> {
  if (rows.length !== tables.length) {
    throw new HarnessError(`CHECKSUM TABLE returned ${rows.length} rows for ${tables.length} tables`, JSON.stringify(rows));
  }
  const out: Record<string, string> = {};
  tables.forEach((t, i) => (out[t] = rows[i]![1]!));
  return out;
}

/** Builds `CHECK TABLE ... EXTENDED` for the tables. */
export function checkSql(tables: string[]): string {
  return `CHECK TABLE ${tables.map(quoteTable).join(', ')} EXTENDED`;
}

/**
 * Maps CHECK TABLE rows (Table, Op, Msg_type, Msg_text), which come grouped per table in request
 * order, to one message per table: the status row's text ('OK' when healthy), preceded by any
 * error or warning texts, joined by '; '.
 */
export function parseCheck(tables: string[], rows: string[][]): Record<string, string> {
  const groups = new Map<string, string[][]>();
  for (const r of rows) {
    const g = groups.get(r[0]!) ?? [];
    g.push(r);
    groups.set(r[0]!, g);
  }
  const list = [...groups.values()];
  if (list.length !== tables.length) {
    throw new HarnessError(`CHECK TABLE reported ${list.length} tables for ${tables.length}`, JSON.stringify(rows));
  }
  const out: Record<string, string> = {};
  tables.forEach((t, i) => {
    const g = list[i]!;
    const msgs = g.filter((r) => r[2] !== 'status' && r[2] !== 'note').map((r) => `${r[2]}: ${r[3]}`);
    const status = g.find((r) => r[2] === 'status');
    out[t] = [...msgs, status ? status[3]! : 'no status row'].join('; ');
  });
  return out;
}
