/**
 * The definition of the `ddb-audit` command line: every command, subcommand, option, default and
 * example, built with commander (docs/cli.md says why commander). `--help`, `completion`, docs/cli.md
 * and the test that parses every command line in the docs all read this one definition, so help,
 * docs and behaviour cannot drift apart.
 *
 * Each command module (bin/commands/*.ts) only defines its options and calls the code that does the
 * work in cli/, which it loads when the command runs: `ddb-audit normalize` does not pay for DuckDB.
 */
import { Command } from 'commander';
import type { CatalogClientFactory } from './commands/catalog';
import type { ClientFactory } from './commands/doctor';
import type { SourcesDependencies } from './commands/sources';
import type { CommandIo } from './commands/io';
import { processIo } from './commands/io';
import { CommandContext, runProgram } from '../cli/program/run-program';
import { EXIT_STATUSES } from '../cli/program/exit-codes';
import { withExamples } from '../cli/program/definition';
import { defineBackfill } from './commands/backfill';
import { defineCatalog } from './commands/catalog';
import { defineCompletion } from './commands/completion';
import { defineCost } from './commands/cost';
import { defineCoverage } from './commands/coverage';
import { defineDemo } from './commands/demo';
import { defineDoctor } from './commands/doctor';
import { defineEvidence } from './commands/evidence';
import { defineItem } from './commands/item';
import { defineLog } from './commands/log';
import { defineNormalize } from './commands/normalize';
import { defineQuery } from './commands/query';
import { defineReplay } from './commands/replay';
import { defineSources } from './commands/sources';

/** Test doubles a command accepts (in-process tests only; the command line always uses the real ones). */
export interface CommandDependencies {
  readonly sources?: SourcesDependencies;
  readonly doctor?: { readonly makeClients?: ClientFactory; readonly now?: Date };
  readonly catalog?: { readonly makeClients?: CatalogClientFactory };
}

export type CliContext = CommandContext<CommandDependencies>;

export function buildProgram(context: CliContext): Command {
  const program = new Command('ddb-audit')
    .description('Audit and compliance change log for Amazon DynamoDB: run the pipeline locally, query the log, export signed evidence, verify the tamper-evident log, onboard sources, check a deployment.')
    .option('-V, --version', 'print the tool version and git commit')
    .addHelpText('after', `\nExit status:\n${EXIT_STATUSES.map((s) => `  ${String(s.code).padEnd(4)}${s.meaning}`).join('\n')}\n\nEvery command has --help. Docs: docs/cli.md`);
  for (const define of [defineDemo, defineQuery, defineEvidence, defineItem, defineLog, defineSources, defineDoctor, defineCoverage, defineCatalog, defineReplay, defineBackfill, defineCost, defineNormalize]) {
    program.addCommand(define(context));
  }
  program.addCommand(defineCompletion(context, () => buildProgram(new CommandContext(context.io, {}, true))));
  withExamples(program, ['npm start', 'npx ddb-audit query --list', 'npx ddb-audit evidence export --help']);
  return program;
}

/** Runs `ddb-audit ARGV…` and returns its exit status (cli/program/exit-codes.ts). */
export function runCli(argv: readonly string[], io: CommandIo = processIo(), deps: CommandDependencies = {}): Promise<number> {
  const context: CliContext = new CommandContext(io, deps);
  return runProgram(buildProgram(context), argv, context);
}

/**
 * Parses `ddb-audit ARGV…` against the definition without running anything: undefined when it
 * parses, else the one-line error the command line would print.
 */
export async function parseOnly(argv: readonly string[]): Promise<string | undefined> {
  const err: string[] = [];
  const io: CommandIo = { stdout: () => {}, stderr: (t) => void err.push(t), readStdin: async () => '', cwd: process.cwd(), env: {} };
  const context: CliContext = new CommandContext(io, {}, true);
  const code = await runProgram(buildProgram(context), argv, context);
  return code === 0 ? undefined : err.join('').trim() || `exit status ${code}`;
}
