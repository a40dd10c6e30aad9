#!/usr/bin/env -S node --no-concurrent-recompilation
// V8 flags only take effect from the command line. Concurrent recompilation optimises hot functions on
// V8's own threads: on two cores they compete with the decoding, apply and look-ahead threads, and
// recompiling there cost ~0.55 s of CPU on the prepare bench against ~0.2 s done in line
// (wall 2.63 -> 2.55 s, 2.73 -> 2.61 s, medians of 5 interleaved runs).
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
