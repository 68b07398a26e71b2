/**
 * Every `ddb-audit …` command line in README.md and docs/*.md parses against the CLI's own
 * definition (bin/program.ts): parse only, nothing runs. So a renamed option or a removed command
 * breaks this test, not a reader pasting the docs.
 *
 * What counts as a command line:
 * - in a fenced code block, every line holding `ddb-audit <word>` (after an optional `$ ` prompt, or
 *   inside `$( … )` / `<( … )`); it must be written `npx ddb-audit …`, which works as pasted in a
 *   checkout (a bare `ddb-audit` is "command not found" unless linked). Lines that are output
 *   (`ddb-audit query: …`, an error message) are not commands;
 * - in prose, an inline code span that starts with `ddb-audit <word>` or `npx ddb-audit <word>`,
 *   where the word is a command or close to one (so `ddb-audit alarms`, a topic's name, is not one).
 *   Prose names commands and options (`ddb-audit sources add --kms-key-arn`) more than it gives
 *   whole command lines, so a span is checked for names only: the command exists and so does every
 *   option it names; values and required options are not asked for.
 * Comment lines in code blocks (`# …`) are not commands. A block fenced ```` ```console-errors ```` shows
 * command lines that are wrong on purpose (docs/cli.md, "Errors"): each of them must FAIL to parse. A line is cut at the first unquoted `|`, `>`, `<`, `;`, `&&`, `)` or ` #`; quotes group words.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram, parseOnly } from '../../bin/program';
import { CommandContext } from '../../cli/program/run-program';
import { renderReference, withReference } from '../../cli/program/reference-doc';
import { captureIo } from '../support/capture-io';

const PROGRAM = buildProgram(new CommandContext(captureIo(), {}, true));

/** Edit distance, for "close to a command name". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) (d[i] as number[])[j] = Math.min((d[i - 1] as number[])[j]! + 1, (d[i] as number[])[j - 1]! + 1, (d[i - 1] as number[])[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return (d[a.length] as number[])[b.length] as number;
}

/** Undefined when the command words of `argv` name a command and every --option it names exists there; else what does not. */
export function namesProblem(argv: readonly string[]): string | undefined {
  let command: Command = PROGRAM;
  let i = 0;
  for (; i < argv.length && command.commands.length > 0; i++) {
    if (/^[-[<]/.test(argv[i] as string)) break; // options, or usage syntax such as [options]
    if (argv[i] === 'help') return undefined; // commander's `help [command]`
    const next = command.commands.find((c) => c.name() === argv[i]);
    if (!next) return `no command "${argv[i]}" under "ddb-audit ${command.name() === 'ddb-audit' ? '' : command.name()}"`;
    command = next as Command;
  }
  for (const word of argv.slice(i)) {
    const flag = word.split('=')[0] as string;
    if (flag.startsWith('-') && !command.options.some((o) => o.long === flag || o.short === flag) && flag !== '--help' && flag !== '-h') return `no option ${flag} in "ddb-audit ${argv.slice(0, i).join(' ')}"`;
  }
  return undefined;
}

const COMMAND_NAMES = PROGRAM.commands.map((c) => c.name());

const ROOT = join(__dirname, '..', '..');

export interface DocCommand {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly argv: string[];
  /** Written `npx ddb-audit` (required in code blocks). */
  readonly npx: boolean;
  readonly inCodeBlock: boolean;
  /** In a ```console-errors block: meant to be refused. */
  readonly wrongOnPurpose?: boolean;
}

/** The words of a shell command line after `ddb-audit`, up to the first operator. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      word = (word ?? '') + text.slice(i + 1, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    } else if (ch === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      if (text[i + 1] === '#') break;
    } else if ('|><;)'.includes(ch) || (ch === '&' && text[i + 1] === '&')) {
      break;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

const COMMAND = /(?:^|\s|\$\(|<\()((?:npx )?ddb-audit) (?=[a-z-])/;

export function docCommands(file: string, text: string): DocCommand[] {
  const found: DocCommand[] = [];
  const lines = text.split('\n');
  let inCode = false;
  let wrongOnPurpose = false;
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n] as string;
    if (/^\s*(```|~~~)/.test(line)) {
      inCode = !inCode;
      wrongOnPurpose = inCode && /^\s*```console-errors\s*$/.test(line);
      continue;
    }
    if (inCode) {
      // A continued line (trailing backslash) is one command.
      while (line.endsWith('\\') && n + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++n]}`;
      if (/^\s*#/.test(line)) continue;
      const m = COMMAND.exec(line.replace(/^\s*\$ /, ' '));
      if (!m) continue;
      const rest = line.replace(/^\s*\$ /, ' ').slice((m.index ?? 0) + m[0].length);
      if (/^[a-z-]+:/.test(rest)) continue; // output: "ddb-audit query: …"
      found.push({ file, line: n + 1, text: line.trim(), argv: shellWords(rest), npx: m[1] === 'npx ddb-audit', inCodeBlock: true, ...(wrongOnPurpose ? { wrongOnPurpose } : {}) });
    } else {
      for (const span of line.matchAll(/`([^`]+)`/g)) {
        const code = span[1] as string;
        const m = /^((?:npx )?ddb-audit) (?=[a-z-])/.exec(code);
        if (!m || /^[a-z-]+:/.test(code.slice(m[0].length))) continue;
        const first = code.slice(m[0].length).split(' ')[0] as string;
        if (m[1] !== 'npx ddb-audit' && !COMMAND_NAMES.some((name) => distance(name, first) <= 2)) continue;
        found.push({ file, line: n + 1, text: code, argv: shellWords(code.slice(m[0].length)), npx: m[1] === 'npx ddb-audit', inCodeBlock: false });
      }
    }
  }
  return found;
}

const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const commands = files.flatMap((f) => docCommands(f, readFileSync(join(ROOT, f), 'utf8')));

describe('finding command lines in Markdown', () => {
  test('code-block lines, prompts, substitutions, continuations and inline spans are found; output and names are not', () => {
    const md = [
      '```sh',
      '$ npx ddb-audit query deletes --param from=2026-01-01 | head -1',
      'ddb-audit query: parameter from is wrong',
      'source <(npx ddb-audit completion bash)',
      'npx ddb-audit evidence export --query q \\',
      '  --out "./my pkg" # a comment',
      '# then run `npx ddb-audit replay ...`',
      '```',
      'Run `ddb-audit sources list` or `npx ddb-audit doctor --json`; the role is `ddb-audit-collector-eu-west-1`, the topic `ddb-audit alarms`.',
    ].join('\n');
    expect(docCommands('x.md', md).map((c) => [c.line, c.argv, c.npx, c.inCodeBlock])).toEqual([
      [2, ['query', 'deletes', '--param', 'from=2026-01-01'], true, true],
      [4, ['completion', 'bash'], true, true],
      [6, ['evidence', 'export', '--query', 'q', '--out', './my pkg'], true, true],
      [9, ['sources', 'list'], false, false],
      [9, ['doctor', '--json'], true, false],
    ]);
  });

  test('prose is checked for names: a command and its options must exist, values are not asked for', () => {
    expect(namesProblem(['evidence', 'verify'])).toBeUndefined();
    expect(namesProblem(['sources', 'add', '--kms-key-arn'])).toBeUndefined();
    expect(namesProblem(['evidence'])).toBeUndefined();
    expect(namesProblem(['evidence', 'exprt'])).toMatch(/no command "exprt"/);
    expect(namesProblem(['sources', 'list', '--jsn'])).toMatch(/no option --jsn/);
  });

  test('the docs hold command lines at all (the scan is not silently empty)', () => {
    expect(commands.length).toBeGreaterThan(10);
    expect(new Set(commands.map((c) => c.file)).size).toBeGreaterThan(2);
  });
});

test('docs/cli.md holds the command reference exactly as the definition renders it (node --import tsx tools/write-cli-reference.ts rewrites it)', () => {
  const page = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
  expect(withReference(page, renderReference(PROGRAM))).toBe(page);
  for (const path of ['query', 'evidence export', 'log digest', 'sources list', 'completion']) expect(page).toContain(`### ${path}\n`);
});

describe('every ddb-audit command line in README.md and docs/ parses against the CLI definition', () => {
  test.each(commands.map((c) => [`${c.file}:${c.line}`, c] as const))('%s', async (_where, command) => {
    const error = command.inCodeBlock ? await parseOnly(command.argv) : namesProblem(command.argv);
    if (command.wrongOnPurpose) expect({ line: command.text, error }).toEqual({ line: command.text, error: expect.stringMatching(/^ddb-audit/) });
    else expect({ line: command.text, error }).toEqual({ line: command.text, error: undefined });
    if (command.inCodeBlock) expect({ line: command.text, npx: command.npx }).toEqual({ line: command.text, npx: true });
  });
});
