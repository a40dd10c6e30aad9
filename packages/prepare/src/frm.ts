import { rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

/**
 * Table definitions (`db/t.frm`) are not in the redo log, but a RENAME TABLE is:
 * FILE_RENAME `./db/a.ibd` -> `./db/b.ibd`. When prepare replays such a rename it
 * moves the definition along, as the server did, so that the restored table is
 * usable under its new name.
 *
 * Only renames between user-visible names are followed. TRUNCATE TABLE and
 * table-rebuilding ALTER TABLE also rename tablespaces, through `#sql-...`
 * names, while the server keeps `t.frm` where it is; partition files
 * (`t#P#p0.ibd`) share their table's single `t.frm`. Both contain `#`.
 */
export function frmFollowsRename(fromIbd: string, toIbd: string): boolean {
  return !basename(fromIbd).includes('#') && !basename(toIbd).includes('#') && fromIbd.endsWith('.ibd') && toIbd.endsWith('.ibd');
}

/**
 * Moves `dir/<from>.frm` to `dir/<to>.frm` for a replayed tablespace rename.
 * Idempotent for a re-run prepare: nothing happens when the source is gone or
 * the destination already exists. Returns true when a file was moved.
 */
export async function moveFrmForRename(dir: string, fromIbd: string, toIbd: string): Promise<boolean> {
  if (!frmFollowsRename(fromIbd, toIbd)) return false;
  const from = join(dir, fromIbd.slice(0, -4) + '.frm');
  const to = join(dir, toIbd.slice(0, -4) + '.frm');
  const present = async (p: string) => stat(p).then(() => true, () => false);
  if (!(await present(from)) || (await present(to))) return false;
  await rename(from, to);
  return true;
}
