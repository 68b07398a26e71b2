/**
 * `ddb-audit demo` (what `npm start` runs): its options and help. The local pipeline end to end on a
 * generated workload, then every bundled query: local/demo/run-demo.ts.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { addOptions, withExamples } from '../../cli/program/definition';
import type { CliContext } from '../program';
import { runCli } from '../program';
import { CommandIo, UsageError } from './io';
import { DEFAULT_DATA_DIR } from './query';

const MAX_CHANGES = 10_000_000;
const MAX_SEED = 2 ** 31 - 1;

function positiveInt(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new UsageError(`--${name} "${text}" is not a whole number from 1 to ${max}`);
  return Number(text);
}

export function defineDemo(context: CliContext): Command {
  const command = new Command('demo')
    .summary('run the whole pipeline locally on a generated workload, then every bundled query (npm start)')
    .description('Run the whole pipeline locally (collector, local Firehose, Parquet, digests) on a generated workload, then every bundled query. Offline; what `npm start` runs.');
  addOptions(command, [
    { flags: '--data <dir>', description: 'the data folder to write (a second run adds to it)', default: DEFAULT_DATA_DIR },
    { flags: '--changes <n>', description: `how many changes to generate, 1 to ${MAX_CHANGES}`, default: '10000' },
    { flags: '--seed <n>', description: 'the workload seed (the same seed repeats the same event ids)', default: 'a new one per run' },
  ]);
  withExamples(command, ['npx ddb-audit demo', 'npx ddb-audit demo --data ./audit-data --changes 1000']);
  return command.action(
    context.action(async (options: { data?: string; changes?: string; seed?: string }) => {
      const { io } = context;
      let settings;
      try {
        settings = {
          dataArg: options.data ?? DEFAULT_DATA_DIR,
          dataDir: resolve(io.cwd, options.data ?? DEFAULT_DATA_DIR),
          changes: positiveInt('changes', options.changes, 10_000, MAX_CHANGES),
          // A new seed per run: new event ids, so a second run adds to the first instead of duplicating it.
          seed: positiveInt('seed', options.seed, (Date.now() % 1_000_000_000) + 1, MAX_SEED),
        };
      } catch (err) {
        io.stderr(`ddb-audit demo: ${(err as Error).message}\n`);
        return 2;
      }
      // The SDK warns on Node.js 20 about releases after January 2027; noise in a demo that works.
      io.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const { runDemo } = require('../../local/demo/run-demo') as typeof import('../../local/demo/run-demo');
      await runDemo({ ...settings, write: (text) => io.stdout(text) });
      return 0;
    }),
  );
}

export function run(args: string[], io: CommandIo): Promise<number> {
  return runCli(['demo', ...args], io);
}
