import test from 'ava';
import { existsSync, statSync } from 'node:fs';
import { startServer } from '../src/index.js';

test('starts a throwaway server, answers SQL, reports LSNs and stops cleanly', async (t) => {
  const srv = await startServer({ mariadbdOptions: ['--innodb-log-file-size=8M'] });
  t.teardown(() => srv.kill());
  t.true(srv.running);
  t.is(statSync(srv.logFile).size, 8 * 1024 * 1024);

  t.deepEqual(await srv.query("SELECT 1, 'a\\tb', NULL"), [['1', 'a\tb', 'NULL']]);
  const lsn0 = await srv.lsn();
  await srv.exec('CREATE DATABASE w; CREATE TABLE w.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB');
  await srv.exec("INSERT INTO w.t VALUES (1, 'x'), (2, 'y')");
  const lsn1 = await srv.lsn();
  t.true(lsn1 > lsn0, `LSN grows with writes: ${lsn0} -> ${lsn1}`);
  t.true((await srv.checkpointLsn()) <= lsn1);

  const sum1 = await srv.checksums(['w.t']);
  await srv.exec("UPDATE w.t SET v = 'z' WHERE id = 2");
  const sum2 = await srv.checksums(['w.t']);
  t.notDeepEqual(sum1, sum2);
  t.deepEqual(await srv.checkTables(['w.t']), { 'w.t': 'OK' });
  t.deepEqual(await srv.checksums(['w.missing']), { 'w.missing': 'NULL' });

  const err = await t.throwsAsync(() => srv.query('SELECT * FROM w.nope'));
  t.regex(err!.message, /doesn't exist[\s\S]*SQL: SELECT \* FROM w\.nope/);

  const dir = srv.runDir;
  await srv.stop();
  t.false(srv.running);
  t.regex(srv.errorLog(), /Shutdown complete/);
  t.deepEqual(srv.errorLines(), []);
  t.false(existsSync(dir), 'temp dir removed on stop');
});

test('a session holds an open transaction that other connections do not see', async (t) => {
  const srv = await startServer();
  t.teardown(() => srv.kill());
  await srv.exec('CREATE DATABASE w; CREATE TABLE w.t (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO w.t VALUES (1)');
  const s = srv.session();
  await s.exec('BEGIN');
  await s.exec('INSERT INTO w.t VALUES (2), (3)');
  t.deepEqual(await s.query('SELECT COUNT(*) FROM w.t'), [['3']]);
  t.deepEqual(await srv.query('SELECT COUNT(*) FROM w.t'), [['1']]);
  await s.exec('COMMIT');
  t.deepEqual(await srv.query('SELECT COUNT(*) FROM w.t'), [['3']]);
  await t.throwsAsync(() => s.query('SELECT * FROM w.nope'), { message: /doesn't exist/ });
  await t.throwsAsync(() => s.query('SELECT 1'), { message: /session closed/ });
  await s.close();
  await srv.stop();
});

test('kill leaves files when asked, a crashed server restarts on them', async (t) => {
  const { startServerOn } = await import('../src/index.js');
  const srv = await startServer();
  t.teardown(() => srv.removeFiles());
  await srv.exec('CREATE DATABASE w; CREATE TABLE w.t (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO w.t VALUES (1),(2)');
  await srv.kill({ keepFiles: true });
  const srv2 = await startServerOn(srv.datadir);
  t.teardown(() => srv2.kill());
  t.deepEqual(await srv2.query('SELECT COUNT(*) FROM w.t'), [['2']]);
  t.regex(srv2.errorLog(), /crash recovery|Starting crash recovery|log sequence number/);
  await srv2.stop();
  t.true(existsSync(srv.datadir), 'startServerOn never removes the data directory');
});

test('no mariadbd outlives a test process killed by SIGKILL', async (t) => {
  const { spawn } = await import('node:child_process');
  const index = new URL('../src/index.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    `const { startServer } = await import(${JSON.stringify(index)});
     const srv = await startServer();
     console.log(JSON.stringify({ pid: srv.pid, dir: srv.runDir }));
     setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((res, rej) => {
    let buf = '';
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString();
      if (buf.includes('\n')) res(buf.split('\n')[0]!);
    });
    child.on('exit', () => rej(new Error(`child exited early: ${buf}`)));
  });
  const { pid, dir } = JSON.parse(line) as { pid: number; dir: string };
  const alive = (p: number): boolean => {
    try { process.kill(p, 0); return true; } catch { return false; }
  };
  t.true(alive(pid));
  child.kill('SIGKILL');
  const deadline = Date.now() + 15_000;
  while ((alive(pid) || existsSync(dir)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  t.false(alive(pid), 'mariadbd killed by the watchdog');
  t.false(existsSync(dir), 'temp dir removed by the watchdog');
});
