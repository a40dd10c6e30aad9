#!/usr/bin/env node
import { makeOutput } from './output.js';
import { run } from './run.js';

const io = makeOutput(
  (s) => process.stdout.write(s),
  (s) => process.stderr.write(s),
  Boolean(process.stderr.isTTY),
);
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});
run(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ibarchive: internal error: ${String(err)}\n`);
    process.exitCode = 70;
  },
);
