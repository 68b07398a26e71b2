/** The commands' io and usage error live in cli/program/command-io.ts; re-exported for the command modules and tests. */
export type { CommandIo } from '../../cli/program/command-io';
export { processIo, UsageError } from '../../cli/program/command-io';
