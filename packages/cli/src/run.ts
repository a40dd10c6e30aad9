import { CommanderError } from 'commander';
import { classifyError, EXIT } from './exit-codes.js';
import type { Output } from './output.js';
import { createProgram } from './program.js';
import './commands/index.js';

/** Runs the CLI on `argv` (without node and script), returning the exit code. */
export async function run(argv: string[], io: Output): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return program.getOptionValue('__exitCode') ?? EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { message, code } = classifyError(err);
    io.err(`ibarchive: ${message}`);
    return code;
  }
}
