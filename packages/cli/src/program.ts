import { Command, CommanderError } from 'commander';
import { EXIT_CODES_HELP } from './exit-codes.js';
import type { Output } from './output.js';

/**
 * A command module registers one subcommand. Actions parse argv into typed
 * options, call into the packages, and throw typed errors; `run()` in main.ts
 * maps errors to exit codes.
 */
export type RegisterCommand = (program: Command, io: Output) => void;

const registrations: RegisterCommand[] = [];

/** Adds a command module; called by commands/index.ts for each command. */
export function addCommand(register: RegisterCommand): void {
  registrations.push(register);
}

/** Builds the `ibarchive` commander program writing to `io`. */
export function createProgram(io: Output): Command {
  const program = new Command('ibarchive')
    .description(
      'InnoDB redo-log archive and point-in-time restore for MariaDB 10.8+ (10.11 format).\n' +
        'Archive the circular ib_logfile0 continuously, then prepare a base backup to any archived LSN or time.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();
  for (const register of registrations) register(program, io);
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });
    cmd.showHelpAfterError('(run with --help for usage)');
  }
  return program;
}

export { CommanderError };
