/**
 * Runs a commander program under the CLI's contract (docs/cli.md):
 * - every error is one line with one `ddb-audit <command>:` prefix, commander's "did you mean" kept;
 * - exit status 0 done (and --help, --version), 1 finding or failure, 2 usage (cli/program/exit-codes.ts);
 * - what a user typed is printed escaped (cli/terminal-text.ts): an unknown option cannot be an escape code.
 *
 * Commander keeps parsed values on its Command objects, so every run gets a freshly built program.
 */
import { Command, CommanderError } from 'commander';
import type { CommandIo } from './command-io';
import { UsageError } from './command-io';
import { escapeForTerminal } from '../terminal-text';
import { allCommands, commandPath } from './definition';
import { EXIT_FINDING_OR_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes';
import { versionLine } from './version';

/** What a command definition gets: the process's io, its test doubles, and where to leave its exit status. */
export class CommandContext<Deps = unknown> {
  exitCode = EXIT_OK;

  /**
   * @param parseOnly parse the arguments and run nothing (the docs-command test) @default false
   */
  constructor(readonly io: CommandIo, readonly deps: Deps, readonly parseOnly = false) {}

  /** A commander action that runs `body` and keeps its exit status; in parse-only mode it runs nothing. */
  action<A extends unknown[]>(body: (...args: A) => Promise<number> | number): (...args: A) => Promise<void> {
    return async (...args: A) => {
      if (this.parseOnly) return;
      this.exitCode = await body(...args);
    };
  }
}

/** `ddb-audit <path>` as the prefix of an error line. */
export function errorPrefix(path: string): string {
  return path === '' ? 'ddb-audit' : `ddb-audit ${path}`;
}

/** Commander's "error: unknown option '--fomat'\n(Did you mean --format?)" as one line without its "error: ". */
export function commanderMessageLine(text: string): string {
  return text
    .replace(/^error:\s*/, '')
    .replace(/\s*\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ')
    .trim()
    // Choices in the words every other bad value gets: `--format "xml" is not one of table, csv, json`.
    .replace(/^option '(-[\w-]+)(?:, (--[\w-]+))?[^']*' argument '(.*)' is invalid\. Allowed choices are (.*)\.$/s, (_m, short: string, long: string | undefined, value: string, list: string) => `${long ?? short} "${value}" is not one of ${list}`)
    .replace(/^command-argument value '(.*)' is invalid for argument '(.*)'\. Allowed choices are (.*)\.$/s, '$2 "$1" is not one of $3');
}

/** One line of an error message: a message with line breaks is joined (the prefix must start every error). */
function oneLine(text: string): string {
  return escapeForTerminal(text.replace(/\s*\n\s*/g, ' ').trim());
}

export async function runProgram(program: Command, argv: readonly string[], context: CommandContext<unknown>): Promise<number> {
  const { io } = context;
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout(`${versionLine()}\n`);
    return EXIT_OK;
  }
  // The command whose help commander printed "after an error" (a group run without its subcommand).
  let missingSubcommandOf: Command | undefined;
  let runningPath = '';
  for (const command of allCommands(program)) {
    command.exitOverride();
    command.configureOutput({
      writeOut: (text) => io.stdout(text),
      // Only help after an error reaches writeErr (errors go through outputError): replaced by one line below.
      writeErr: () => {
        missingSubcommandOf = command;
      },
      outputError: (text) => {
        let line = commanderMessageLine(text);
        // Below the root, a command's commands are its subcommands, and are called so.
        if (command.parent) line = line.replace(/^unknown command '(.*?)'/, 'unknown subcommand "$1"');
        // Commander counts the extra arguments; the user needs to see which one was not expected.
        if (line.startsWith('too many arguments')) {
          const expected = command.registeredArguments.length;
          line = `unexpected argument "${command.args[expected] ?? ''}" (${command.name()} takes ${expected === 0 ? 'no arguments' : `at most ${expected}`})`;
        }
        io.stderr(`${errorPrefix(commandPath(command))}: ${oneLine(line)}\n`);
      },
      getOutHelpWidth: () => Math.max(40, Math.min(io.columns ?? 80, 120)),
      getErrHelpWidth: () => 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  }
  program.hook('preAction', (_root, actionCommand) => {
    runningPath = commandPath(actionCommand);
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      // `ddb-audit help [command]` asked for help: printed on stdout, exit 0.
      if (err.code === 'commander.help' && !missingSubcommandOf) return EXIT_OK;
      if (err.code === 'commander.help' && missingSubcommandOf) {
        const group = missingSubcommandOf;
        const path = commandPath(group);
        const names = group.commands.map((c) => c.name()).filter((n) => n !== 'help');
        io.stderr(`${errorPrefix(path)}: missing ${path === '' ? 'command' : 'subcommand'}: one of ${names.join(', ')} (ddb-audit ${path === '' ? '' : `${path} `}--help describes them)\n`);
      }
      return EXIT_USAGE;
    }
    // An error a command did not report itself: still one line, never a stack trace.
    io.stderr(`${errorPrefix(runningPath)}: ${oneLine((err as Error)?.message ?? String(err))}\n`);
    return err instanceof UsageError ? EXIT_USAGE : EXIT_FINDING_OR_FAILURE;
  }
}
