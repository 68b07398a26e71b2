/**
 * The command reference of docs/cli.md, rendered from the program's definition: every command and
 * subcommand with its usage, what it does, every option with its default, and its examples. The
 * page holds this text between two markers, a test checks it equals what this renders, and
 * `node --import tsx tools/write-cli-reference.ts` rewrites it: the docs cannot drift from the CLI.
 */
import type { Command } from 'commander';
import { allCommands, commandPath, examplesOf } from './definition';

export const REFERENCE_START = '<!-- cli-reference: generated from bin/program.ts by tools/write-cli-reference.ts; do not edit by hand -->';
export const REFERENCE_END = '<!-- /cli-reference -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');
}

export function renderReference(program: Command): string {
  const out: string[] = [];
  for (const command of allCommands(program).slice(1)) {
    const path = commandPath(command);
    out.push(`### ${path}`, '');
    out.push(`Usage: \`${`npx ddb-audit ${path} ${command.usage()}`.trimEnd()}\``, '');
    out.push(command.description() || command.summary(), '');
    if (command.commands.length > 0) {
      out.push('| Subcommand | What it does |', '|---|---|');
      for (const sub of command.commands) out.push(`| \`${sub.name()}\` | ${cell(sub.summary() || sub.description())} |`);
      out.push('');
      continue;
    }
    if (command.registeredArguments.length > 0) {
      out.push('| Argument | Meaning |', '|---|---|');
      for (const a of command.registeredArguments) out.push(`| \`${a.required ? `<${a.name()}>` : `[${a.name()}]`}\` | ${cell(a.description)}${a.argChoices ? ` (one of ${a.argChoices.join(', ')})` : ''} |`);
      out.push('');
    }
    if (command.options.length > 0) {
      out.push('| Option | Meaning |', '|---|---|');
      for (const o of command.options) out.push(`| \`${o.flags}\` | ${cell(o.description)}${o.argChoices ? ` (one of ${o.argChoices.join(', ')})` : ''} |`);
      out.push('');
    }
    const examples = examplesOf(command);
    if (examples.length > 0) out.push('```', ...examples, '```', '');
  }
  return `${REFERENCE_START}\n\n${out.join('\n').trimEnd()}\n\n${REFERENCE_END}`;
}

/** `page` with its reference section replaced by `reference`; throws when the markers are missing. */
export function withReference(page: string, reference: string): string {
  const start = page.indexOf(REFERENCE_START);
  const end = page.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error('docs/cli.md has no cli-reference markers');
  return page.slice(0, start) + reference + page.slice(end + REFERENCE_END.length);
}
