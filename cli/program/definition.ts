/**
 * Helpers that every command definition (bin/commands/*.ts) uses, so that each option's help line
 * states its default (or that it is required) and each command carries examples that its --help
 * prints, docs/cli.md shows and a test parses against this same definition.
 */
import { Command, Option } from 'commander';

export interface OptionSpec {
  /** Commander flags, e.g. `--data <dir>` or `-p, --param <key=value>`. */
  readonly flags: string;
  readonly description: string;
  /**
   * What applies when the option is not given, shown in --help as "(default: …)". Commands apply
   * their defaults themselves (an option given explicitly can then be told from one left out, which
   * the exclusive-option checks need), so this is the text of that default.
   * @default "off" for a flag without a value; required for an option with a value
   */
  readonly default?: string;
  /** The option must be given (the command refuses without it, naming it). @default false */
  readonly required?: boolean;
  /** The only values accepted; commander refuses any other with the list. @default any value */
  readonly choices?: readonly string[];
  /** May be given more than once; the values arrive as an array. @default false */
  readonly repeatable?: boolean;
}

const EXAMPLES = new WeakMap<Command, readonly string[]>();

/** `spec` as a commander Option whose description ends in its default. */
export function option(spec: OptionSpec): Option {
  const takesValue = /[<[]/.test(spec.flags);
  if (takesValue && spec.default === undefined && spec.required !== true) throw new Error(`option ${spec.flags}: an option with a value needs a default text or required: true`);
  const suffix = spec.required ? '(required)' : `(default: ${spec.default ?? 'off'})`;
  const opt = new Option(spec.flags, `${spec.description} ${suffix}`);
  if (spec.choices) opt.choices([...spec.choices]);
  if (spec.repeatable) opt.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return opt;
}

/** Adds each spec to `command`. */
export function addOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) command.addOption(option(spec));
  return command;
}

/** Examples printed at the end of `command --help`; each is a full `npx ddb-audit …` line. */
export function withExamples(command: Command, examples: readonly string[]): Command {
  EXAMPLES.set(command, examples);
  return command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}`);
}

export function examplesOf(command: Command): readonly string[] {
  return EXAMPLES.get(command) ?? [];
}

/** `command` and every command below it, depth first. */
export function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap((c) => allCommands(c as Command))];
}

/** The words after `ddb-audit` that name `command` (empty for the root): "evidence export". */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
