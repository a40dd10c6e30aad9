import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const testdata = join(dirname(fileURLToPath(import.meta.url)), '../../../../testdata');

interface Meta {
  logFileSize: string;
  lsn: string;
  flushedLsn: string;
  checkpointLsn: string;
  timesAroundCircularLog: number;
  restorePoints: { name: string; lsn: string }[];
}

const u64 = (b: Buffer, at: number): bigint => b.readBigUInt64BE(at);

/** ib_logfile0 header (MariaDB 10.8+): "Phys", format, first LSN at 8; checkpoint blocks at 0x1000 and 0x2000. */
function header(file: string): { magic: string; firstLsn: bigint; checkpoints: bigint[] } {
  const b = readFileSync(file).subarray(0, 0x3000);
  return { magic: b.subarray(0, 4).toString('latin1'), firstLsn: u64(b, 8), checkpoints: [u64(b, 0x1000), u64(b, 0x2000)] };
}

for (const name of ['server-wrapped', 'server-fresh']) {
  test(`${name} fixture matches its meta.json`, (t) => {
    const meta = JSON.parse(readFileSync(join(testdata, name, 'meta.json'), 'utf8')) as Meta;
    const file = join(testdata, name, 'ib_logfile0');
    t.is(BigInt(statSync(file).size), BigInt(meta.logFileSize));
    const h = header(file);
    t.is(h.magic, 'Phys');
    t.is(h.checkpoints.reduce((a, b) => (a > b ? a : b)), BigInt(meta.checkpointLsn), 'latest header checkpoint = "Last checkpoint at"');
    t.is(meta.flushedLsn, meta.lsn, 'copied with the log written up to the LSN');
    const lsns = meta.restorePoints.map((p) => BigInt(p.lsn));
    lsns.forEach((l, i) => i > 0 && t.true(l > lsns[i - 1]!));
    t.true(lsns[lsns.length - 1]! <= BigInt(meta.lsn));
    if (name === 'server-wrapped') t.true(meta.timesAroundCircularLog >= 2);
    else t.true(meta.timesAroundCircularLog < 1);
  });
}

test('backup fixture: ib_logfile0 is the header plus the log from its first LSN to last_lsn', (t) => {
  const dir = join(testdata, 'backup');
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { xtrabackupCheckpoints: string };
  const cp = readFileSync(join(dir, 'xtrabackup_checkpoints'), 'utf8');
  t.is(cp, meta.xtrabackupCheckpoints);
  const lastLsn = BigInt(/last_lsn = (\d+)/.exec(cp)![1]!);
  const toLsn = BigInt(/to_lsn = (\d+)/.exec(cp)![1]!);
  const file = join(dir, 'ib_logfile0');
  const h = header(file);
  t.is(h.magic, 'Phys');
  t.is(h.firstLsn + BigInt(statSync(file).size) - 0x3000n, lastLsn);
  t.true(h.firstLsn <= toLsn && toLsn <= lastLsn);
  t.regex(readFileSync(join(dir, 'backup-my.cnf'), 'utf8'), /innodb_log_file_size=4194304/);
});
