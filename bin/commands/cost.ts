/**
 * `ddb-audit cost [--changes-per-day N | --changes-per-month N] [--change-bytes N] [--tables N]
 *   [--accounts N] [--retention-days N] [--queries-per-day N] [--bytes-scanned-per-query N]
 *   [--packing ndjson|single] [--batch-size N] [--batching-window-seconds N]
 *   [--buffer-interval-seconds N] [--buffer-size-mib N] [--no-heartbeat] [--json]`
 *
 * Prints the modelled monthly cost of a deployment, one line per billed quantity, and CloudTrail
 * data events for the same writes beside it (cli/cost/model.ts; prices in cli/cost/prices.json).
 * Exit 0 with the estimate; exit 2 with a one-line reason (printed escaped) for a bad option or number.
 */
import { parseArgs } from 'node:util';
import { CostInputError, CostInputs, DAYS_PER_MONTH, DEFAULT_INPUTS, estimateCost, Packing } from '../../cli/cost/model';
import { renderJson, renderTable } from '../../cli/cost/render';
import { escapeForTerminal } from '../../cli/terminal-text';
import { CommandIo, UsageError } from './io';

const NUMBER_OPTIONS = {
  'changes-per-day': 'changesPerDay',
  'change-bytes': 'changeBytes',
  tables: 'tables',
  accounts: 'accounts',
  'retention-days': 'retentionDays',
  'queries-per-day': 'queriesPerDay',
  'bytes-scanned-per-query': 'bytesScannedPerQuery',
  'batch-size': 'batchSize',
  'batching-window-seconds': 'batchingWindowSeconds',
  'buffer-interval-seconds': 'bufferIntervalSeconds',
  'buffer-size-mib': 'bufferSizeMiB',
} as const satisfies Record<string, keyof CostInputs>;

export const USAGE = `usage: ddb-audit cost [options]   the modelled monthly AWS cost of a deployment (docs/scale-and-cost.md)
  --changes-per-day N | --changes-per-month N   changes to all source tables (default ${DEFAULT_INPUTS.changesPerDay} a day)
  --change-bytes N              average change record, 1 to 1000000 (default ${DEFAULT_INPUTS.changeBytes})
  --tables N --accounts N       source tables and accounts (default ${DEFAULT_INPUTS.tables} and ${DEFAULT_INPUTS.accounts})
  --retention-days N            days of changes the log holds (default ${DEFAULT_INPUTS.retentionDays})
  --queries-per-day N --bytes-scanned-per-query N   Athena use (default ${DEFAULT_INPUTS.queriesPerDay} and ${DEFAULT_INPUTS.bytesScannedPerQuery})
  --packing ndjson|single       (default ${DEFAULT_INPUTS.packing})
  --batch-size N --batching-window-seconds N        the event source mapping (default ${DEFAULT_INPUTS.batchSize} and ${DEFAULT_INPUTS.batchingWindowSeconds})
  --buffer-interval-seconds N --buffer-size-mib N   Firehose buffering (default ${DEFAULT_INPUTS.bufferIntervalSeconds} and ${DEFAULT_INPUTS.bufferSizeMiB})
  --no-heartbeat                leave out the heartbeat item every 5 minutes
  --json                        one JSON object instead of the table
example: ddb-audit cost --changes-per-month 100000000 --tables 500 --accounts 50
exit status: 0 estimate printed; 2 bad option or number
`;

/** `--name value` as a number: plain decimal digits (an optional fraction, `_` or `,` separators), nothing else. */
function parseNumber(option: string, text: string): number {
  const clean = text.replace(/[_,]/g, '');
  if (!/^\d+(\.\d+)?$/.test(clean)) throw new UsageError(`--${option} "${text}" is not a number (digits, optionally with a decimal point)`);
  return Number(clean);
}

/** The inputs the options describe; the one place option parsing lives (a CLI library may replace it). */
export function parseCostArgs(args: string[]): { inputs: CostInputs; json: boolean; help: boolean } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      ...Object.fromEntries(Object.keys(NUMBER_OPTIONS).map((name) => [name, { type: 'string' as const }])),
      'changes-per-month': { type: 'string' },
      packing: { type: 'string' },
      'no-heartbeat': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const given = values as Record<string, string | boolean | undefined>;
  const inputs: Record<string, unknown> = { ...DEFAULT_INPUTS };
  for (const [option, key] of Object.entries(NUMBER_OPTIONS)) {
    const text = given[option];
    if (typeof text === 'string') inputs[key] = parseNumber(option, text);
  }
  const perMonth = given['changes-per-month'];
  if (typeof perMonth === 'string') {
    if (given['changes-per-day'] !== undefined) throw new UsageError('--changes-per-day and --changes-per-month are exclusive: give one rate');
    inputs.changesPerDay = parseNumber('changes-per-month', perMonth) / DAYS_PER_MONTH;
  }
  const packing = given.packing;
  if (packing !== undefined && packing !== 'ndjson' && packing !== 'single') throw new UsageError(`--packing "${String(packing)}" is not ndjson or single`);
  if (typeof packing === 'string') inputs.packing = packing as Packing;
  if (given['no-heartbeat'] === true) inputs.heartbeat = false;
  return { inputs: inputs as unknown as CostInputs, json: given.json === true, help: given.help === true };
}

/** The option a model input came from, as the user typed it. */
function optionFor(input: keyof CostInputs, args: readonly string[]): string {
  if (input === 'changesPerDay' && args.some((a) => a.startsWith('--changes-per-month'))) return '--changes-per-month (as changes a day)';
  const option = Object.entries(NUMBER_OPTIONS).find(([, key]) => key === input)?.[0] ?? input;
  return `--${option}`;
}

export async function run(args: string[], io: CommandIo): Promise<number> {
  try {
    const { inputs, json, help } = parseCostArgs(args);
    if (help) {
      io.stdout(USAGE);
      return 0;
    }
    let estimate;
    try {
      estimate = estimateCost(inputs);
    } catch (err) {
      if (!(err instanceof CostInputError)) throw err;
      throw new UsageError(`${optionFor(err.input, args)} ${err.requirement}`);
    }
    io.stdout(json ? renderJson(estimate) : renderTable(estimate));
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    // Printed escaped: the message can quote what was typed, control characters and newlines included.
    io.stderr(`ddb-audit cost: ${escapeForTerminal((err as Error).message)}\n`);
    return usage ? 2 : 1;
  }
}
