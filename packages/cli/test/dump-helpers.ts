import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import '../src/commands/dump.js';
import { classifyError, EXIT } from '../src/exit-codes.js';
import { makeOutput } from '../src/output.js';
import { createProgram } from '../src/program.js';

/** Repository root (tests run from packages/cli/dist/test). */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The command as installed (`npm run build` bundles it, see build-bundle.mjs). */
export const MAIN = fileURLToPath(new URL('../../bundle/ibarchive.js', import.meta.url));

/**
 * Runs the CLI in-process with only the dump command registered (so these
 * tests do not depend on other commands), mapping errors like run.ts.
 */
export async function runCli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = makeOutput(
    (s) => out.push(...s.replace(/\n$/, '').split('\n')),
    (s) => err.push(...s.replace(/\n$/, '').split('\n')),
  );
  const program = createProgram(io);
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else {
      const c = classifyError(e);
      io.err(`ibarchive: ${c.message}`);
      code = c.code;
    }
  }
  return { code, out, err };
}

/** Runs `node packages/cli/bundle/ibarchive.js` as a process. */
export function spawnCli(argv: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...argv], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
