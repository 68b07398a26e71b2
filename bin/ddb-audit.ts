/**
 * `ddb-audit`: the command line. The commands, options and help are defined in bin/program.ts
 * (commander); this file only runs them for a real process, with its signal and pipe handling.
 */
import type { CommandIo } from './commands/io';
import { processIo } from './commands/io';
import { installProcessHandlers } from '../cli/program/interrupt';
import { runCli } from './program';

/**
 * Runs `ddb-audit ARGV…` and returns its exit status. With the process's own io it also takes over
 * SIGINT and EPIPE (cli/program/interrupt.ts); tests that pass their own io keep their process as is.
 */
export async function main(argv: string[], io?: CommandIo): Promise<number> {
  if (io === undefined) installProcessHandlers();
  return runCli(argv, io ?? processIo());
}
