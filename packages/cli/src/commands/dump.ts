import { addCommand } from '../program.js';

addCommand((program) => {
  program
    .command('dump')
    .argument('<path>', 'ib_logfile0, a mariadb-backup directory, an archive directory or a segment file')
    .description('decode a redo log and print its records (the pg_waldump of InnoDB)')
    .action(() => {
      throw new Error('dump is not implemented yet');
    });
});
