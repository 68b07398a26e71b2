/**
 * The command line's contract, read from its own definition (bin/program.ts): help everywhere with
 * every option's default and an example, --version, "did you mean", one-line errors with one
 * `ddb-audit <command>:` prefix, and exit status 0 / 1 / 2 (docs/cli.md).
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Command } from 'commander';
import { buildProgram, parseOnly, runCli } from '../../bin/program';
import { allCommands, commandPath, examplesOf } from '../../cli/program/definition';
import { CommandContext } from '../../cli/program/run-program';
import { gitCommit, versionLine } from '../../cli/program/version';
import { completionScript } from '../../cli/program/completion';
import { captureIo } from '../support/capture-io';

const definition = (): Command => buildProgram(new CommandContext(captureIo(), {}, true));
const commands = allCommands(definition());

async function cli(argv: string[], cwd = process.cwd()): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ cwd, env: {} });
  const code = await runCli(argv, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

/** One error line: one prefix, naming the command, no control character. */
function expectOneErrorLine(err: string, path: string): void {
  expect(err.endsWith('\n')).toBe(true);
  expect(err.slice(0, -1)).not.toContain('\n');
  expect(err).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  const prefix = path === '' ? 'ddb-audit: ' : `ddb-audit ${path}: `;
  expect(err.startsWith(prefix)).toBe(true);
  // Never doubled: "ddb-audit query: query: …"
  const rest = err.slice(prefix.length);
  expect(rest.startsWith(`${path.split(' ').at(-1)}:`)).toBe(path === '' ? rest.startsWith(':') : false);
  expect(rest).not.toMatch(/^ddb-audit/);
}

describe('--help', () => {
  test.each(commands.map((c) => [commandPath(c) || '(root)', c] as const))('ddb-audit %s --help exits 0 and shows every option with its default, and an example', async (path, command) => {
    const argv = path === '(root)' ? ['--help'] : [...path.split(' '), '--help'];
    const { code, out, err } = await cli(argv);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const flat = out.replace(/\s+/g, ' ');
    for (const option of command.options) {
      expect(out).toContain(option.flags);
      if (option.long !== '--version') expect(option.description).toMatch(/\((default: .+|required)\)$/);
      expect(flat).toContain(option.description.replace(/\s+/g, ' '));
    }
    for (const sub of command.commands) expect(out).toContain(sub.name());
    expect(examplesOf(command).length).toBeGreaterThan(0);
    for (const example of examplesOf(command)) expect(flat).toContain(example);
  });

  test('every command has an example, and each parses against the definition', async () => {
    for (const command of commands) {
      for (const example of examplesOf(command)) {
        if (example === 'npm start') continue; // = ddb-audit demo (package.json)
        const argv = example.replace(/^.*?npx ddb-audit /, '').replace(/\s*[|>].*$/, '').replace(/\)$/, '');
        expect([example, await parseOnly(splitWords(argv))]).toEqual([example, undefined]);
      }
    }
  });

  test('ddb-audit help QUERY is help too, exit 0', async () => {
    expect(await cli(['help', 'query'])).toMatchObject({ code: 0, err: '', out: expect.stringContaining('Usage: ddb-audit query') });
  });
});

/** Shell-like split (double quotes only), enough for the examples. */
function splitWords(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2]) as string);
}

describe('--version', () => {
  test('prints the package version and the git commit of the checkout', async () => {
    const { code, out } = await cli(['--version']);
    expect(code).toBe(0);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(out).toBe(`ddb-audit ${require('../../package.json').version} (git commit ${head})\n`);
  });

  test('falls back to "unknown" when git fails or answers something that is not a commit, never throwing', () => {
    expect(gitCommit(() => { throw Object.assign(new Error('spawn git ENOENT'), { code: 'ENOENT' }); })).toBe('unknown');
    expect(gitCommit(() => 'fatal: not a git repository\n')).toBe('unknown');
    expect(versionLine('unknown')).toMatch(/^ddb-audit \d+\.\d+\.\d+ \(git commit unknown\)$/);
  });
});

describe('usage errors', () => {
  test.each([
    [['qurey'], '', "unknown command 'qurey' (did you mean query?)"],
    [['evidence', 'exprt'], 'evidence', 'unknown subcommand "exprt" (did you mean export?)'],
    [['query', '--fomat', 'json'], 'query', "unknown option '--fomat' (did you mean --format?)"],
    [['log', 'verify', '--pubic-key', 'k.pem'], 'log verify', "unknown option '--pubic-key' (did you mean --public-key?)"],
    [['query', 'deletes', '--format', 'xml'], 'query', '--format "xml" is not one of table, csv, json'],
    [['doctor', 'extra'], 'doctor', 'unexpected argument "extra" (doctor takes no arguments)'],
    [['sources'], 'sources', 'missing subcommand: one of add, rotate, list, validate (ddb-audit sources --help describes them)'],
    [[], '', 'missing command: one of'],
    [['query'], 'query', 'missing query NAME (ddb-audit query --list shows them)'],
  ])('%j: exit 2 and one line "%s: …"', async (argv, path, message) => {
    const { code, out, err } = await cli(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expectOneErrorLine(err, path);
    expect(err).toContain(message);
  });

  test('property: any mistyped long option of any command gets exit 2, one prefixed line, and a suggestion when one is close', async () => {
    const options = commands.flatMap((c) => c.options.filter((o) => o.long && o.long.length > 6 && o.long !== '--version').map((o) => [c, o.long as string] as const));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...options), fc.nat(), async ([command, long], at) => {
        const i = 2 + (at % (long.length - 2));
        const typo = long.slice(0, i) + long.slice(i + 1); // one letter dropped
        fc.pre(!command.options.some((o) => o.long === typo));
        const path = commandPath(command);
        const { code, err } = await cli([...(path ? path.split(' ') : []), typo]);
        expect(code).toBe(2);
        expectOneErrorLine(err, path);
        expect(err).toMatch(/unknown option '.*' \(did you mean --[\w-]+\?\)\n$/);
      }),
      { numRuns: 60 },
    );
  });

  test('property: whatever is typed, parsing answers nothing or one line with one prefix, never a raw control character', async () => {
    const words = ['query', 'evidence', 'export', 'verify', 'log', 'digest', 'sources', 'list', 'doctor', 'replay', 'normalize', 'demo', '--data', '--format', '--json', '-p', '--help', 'x'];
    const word = fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 8 }), fc.constantFrom('--\u001b[2J', 'q\r\u009bx', '-\u202e'));
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 5 }), async (argv) => {
        fc.pre(!argv.includes('--help') && !argv.includes('-h') && !argv.includes('help'));
        const io = captureIo({ env: {} });
        const context = new CommandContext(io, {}, true);
        const { runProgram } = await import('../../cli/program/run-program');
        const code = await runProgram(buildProgram(context), argv, context);
        const err = io.err.join('');
        if (code === 0) expect(err).toBe('');
        else {
          expect(code).toBe(2);
          expect(err.split('\n')).toHaveLength(2);
          expect(err).toMatch(/^ddb-audit( [a-z]+)*: /);
          expect(err).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('query --list', () => {
  test('respects --format: JSON Lines and CSV have one record per bundled query, with its parameters', async () => {
    const json = await cli(['query', '--list', '--format', 'json']);
    expect(json.code).toBe(0);
    const rows = json.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    const names = readdirSync(join(__dirname, '..', '..', 'athena-queries')).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4)).sort();
    expect(rows.map((r) => r.name).sort()).toEqual(names);
    expect(rows.find((r) => r.name === 'actor-activity')).toMatchObject({ parameters: expect.stringContaining('actor') });
    const csv = await cli(['query', '--list', '--format', 'csv']);
    expect(csv.out.split('\r\n')[0]).toBe('name,summary,parameters');
    expect(csv.out.trimEnd().split('\r\n')).toHaveLength(names.length + 1);
    expect((await cli(['query', '--list'])).out).toContain('parameters: from to actor');
  });
});

describe('no silent empty answers', () => {
  const root = mkdtempSync(join(tmpdir(), 'cli-empty-'));
  const key = join(root, 'signing.pem');
  beforeAll(async () => expect((await cli(['evidence', 'keygen', '--out', key])).code).toBe(0));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const folders: [string, () => string][] = [
    ['a missing folder', () => join(root, 'typo')],
    ['an empty folder', () => { const d = join(root, `empty-${Math.random()}`); mkdirSync(d); return d; }],
    ['a folder whose changes/ holds no Parquet', () => { const d = join(root, `nolog-${Math.random()}`); mkdirSync(join(d, 'changes', 'account_id=1'), { recursive: true }); writeFileSync(join(d, 'changes', 'notes.txt'), 'x'); return d; }],
  ];

  test.each(folders)('query refuses %s, naming the path, exit 2', async (_what, make) => {
    const dir = make();
    const { code, out, err } = await cli(['query', 'deletes', '--data', dir]);
    expect({ code, out }).toEqual({ code: 2, out: '' });
    expectOneErrorLine(err, 'query');
    expect(err).toContain(`data folder ${dir} `);
  });

  test.each(folders)('evidence export refuses %s, naming the path, and writes no package', async (_what, make) => {
    const dir = make();
    const out = join(root, `pkg-${Math.random()}`);
    const result = await cli(['evidence', 'export', '--query', 'evidence-changes', '--param', 'from=2020-01-01', '--param', 'to=2030-12-31', '--data', dir, '--out', out, '--sign-key', key]);
    expect(result.code).toBe(2);
    expectOneErrorLine(result.err, 'evidence export');
    expect(result.err).toContain(`data folder ${dir} `);
    expect(readdirSync(root).filter((n) => n.includes('pkg-'))).toEqual([]);
  });

  test('log digest does not start a chain without --init: nothing created, not even the key; with --init it does, once', async () => {
    const dir = join(root, 'chain');
    const missing = await cli(['log', 'digest', '--data', dir]);
    expect(missing.code).toBe(2);
    expectOneErrorLine(missing.err, 'log digest');
    expect(missing.err).toContain(dir);
    mkdirSync(dir);
    const refused = await cli(['log', 'digest', '--data', dir]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('has no digest chain yet; pass --init');
    expect(readdirSync(dir)).toEqual([]);
    const started = await cli(['log', 'digest', '--data', dir, '--init', '--include-current-hour']);
    expect(started).toMatchObject({ code: 0, out: expect.stringContaining('wrote 1 digest(s)') });
    expect(readdirSync(dir).sort()).toEqual(['.keys', 'digests']);
    expect((await cli(['log', 'digest', '--data', dir, '--init'])).err).toContain('already has a digest chain');
    expect((await cli(['log', 'digest', '--data', dir])).code).toBe(0);
  });

  test('log verify answers a missing or empty folder NOT VERIFIED (exit 1) with the path, never clean', async () => {
    const missing = await cli(['log', 'verify', '--data', join(root, 'nope')]);
    expect(missing.code).toBe(1);
    expectOneErrorLine(missing.err, 'log verify');
    const empty = join(root, 'empty-verify');
    mkdirSync(empty);
    const result = await cli(['log', 'verify', '--data', empty]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`log verify ${empty}: no digests yet`);
    expect(result.out).toContain('holds no change log either');
    expect(result.out).toMatch(/NOT VERIFIED\n$/);
  });
});

describe('completion', () => {
  test.each(['bash', 'zsh'] as const)('the %s script is valid shell and lists every command and option of the definition', (shell) => {
    const script = completionScript(definition(), shell);
    execFileSync(shell === 'bash' ? 'bash' : 'bash', ['-n'], { input: shell === 'bash' ? script : script.replace(/^autoload.*$/m, '') });
    for (const command of commands) for (const o of command.options) if (o.long) expect(script).toContain(o.long);
    for (const command of commands) expect(script).toContain(command.name());
  });

  test('bash completes subcommands, options and choices at the right depth', () => {
    const script = completionScript(definition(), 'bash');
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _ddb_audit_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' }).trim().split('\n');
    expect(complete('ddb-audit', 'evidence', 'ex')).toEqual(['export']);
    expect(complete('ddb-audit', 'qu')).toEqual(['query']);
    expect(complete('ddb-audit', 'query', '--for')).toEqual(['--format']);
    expect(complete('ddb-audit', 'query', '--format', 'c')).toEqual(['csv']);
    expect(complete('ddb-audit', 'log', 'verify', '--public')).toEqual(['--public-key']);
  });
});
