/**
 * `ddb-audit demo [--data DIR] [--changes N] [--seed N]` (what `npm start` runs): the local
 * pipeline end to end on a generated workload, then every bundled query. See local/demo/.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runDemo } from '../../local/demo/run-demo';
import { CommandIo, UsageError } from './io';
import { DEFAULT_DATA_DIR } from './query';

function positiveInt(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new UsageError(`--${name} "${text}" is not a whole number from 1 to ${max}`);
  return Number(text);
}

export async function run(args: string[], io: CommandIo): Promise<number> {
  let options;
  try {
    const { values } = parseArgs({ args, strict: true, options: { data: { type: 'string' }, changes: { type: 'string' }, seed: { type: 'string' } } });
    options = {
      dataArg: values.data ?? DEFAULT_DATA_DIR,
      dataDir: resolve(io.cwd, values.data ?? DEFAULT_DATA_DIR),
      changes: positiveInt('changes', values.changes, 10_000, 10_000_000),
      // A new seed per run: new event ids, so a second run adds to the first instead of duplicating it.
      seed: positiveInt('seed', values.seed, (Date.now() % 1_000_000_000) + 1, 2 ** 31 - 1),
    };
  } catch (err) {
    io.stderr(`ddb-audit demo: ${(err as Error).message}\n`);
    return 2;
  }
  // The SDK warns on Node.js 20 about releases after January 2027; noise in a demo that works.
  io.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  await runDemo({ ...options, write: (text) => io.stdout(text) });
  return 0;
}
