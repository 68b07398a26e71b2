/**
 * What `ddb-audit cost` does once its options are parsed (bin/commands/cost.ts defines them): the
 * modelled monthly cost of a deployment, one line per billed quantity, and CloudTrail data events
 * for the same writes beside it (cli/cost/model.ts; prices in cli/cost/prices.json).
 * Exit 0 with the estimate; exit 2 with a one-line reason (printed escaped) for a bad option or number.
 */
import { CostInputError, CostInputs, DAYS_PER_MONTH, DEFAULT_INPUTS, estimateCost, Packing } from './model';
import { renderJson, renderTable } from './render';
import { escapeForTerminal } from '../terminal-text';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';

/** Each numeric option (as typed) and the model input it sets. */
export const NUMBER_OPTIONS = {
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

/** Commander's option values: each option's camelCase name; `heartbeat` is false after --no-heartbeat. */
export type CostOptions = { readonly [name: string]: string | boolean | undefined };

const camel = (option: string) => option.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** `--name value` as a number: plain decimal digits (an optional fraction, `_` or `,` separators), nothing else. */
function parseNumber(option: string, text: string): number {
  const clean = text.replace(/[_,]/g, '');
  if (!/^\d+(\.\d+)?$/.test(clean)) throw new UsageError(`--${option} "${text}" is not a number (digits, optionally with a decimal point)`);
  return Number(clean);
}

/** The model inputs the options describe: DEFAULT_INPUTS, with what was given. */
export function costInputs(given: CostOptions): CostInputs {
  const inputs: Record<string, unknown> = { ...DEFAULT_INPUTS };
  for (const [option, key] of Object.entries(NUMBER_OPTIONS)) {
    const text = given[camel(option)];
    if (typeof text === 'string') inputs[key] = parseNumber(option, text);
  }
  const perMonth = given.changesPerMonth;
  if (typeof perMonth === 'string') {
    if (given.changesPerDay !== undefined) throw new UsageError('--changes-per-day and --changes-per-month are exclusive: give one rate');
    inputs.changesPerDay = parseNumber('changes-per-month', perMonth) / DAYS_PER_MONTH;
  }
  const packing = given.packing;
  if (packing !== undefined && packing !== 'ndjson' && packing !== 'single') throw new UsageError(`--packing "${String(packing)}" is not ndjson or single`);
  if (typeof packing === 'string') inputs.packing = packing as Packing;
  if (given.heartbeat === false) inputs.heartbeat = false;
  return inputs as unknown as CostInputs;
}

/** The option a model input came from, as the user typed it. */
function optionFor(input: keyof CostInputs, given: CostOptions): string {
  if (input === 'changesPerDay' && given.changesPerMonth !== undefined) return '--changes-per-month (as changes a day)';
  const option = Object.entries(NUMBER_OPTIONS).find(([, key]) => key === input)?.[0] ?? input;
  return `--${option}`;
}

export function costCommand(given: CostOptions, io: CommandIo): number {
  try {
    const inputs = costInputs(given);
    let estimate;
    try {
      estimate = estimateCost(inputs);
    } catch (err) {
      if (!(err instanceof CostInputError)) throw err;
      throw new UsageError(`${optionFor(err.input, given)} ${err.requirement}`);
    }
    io.stdout(given.json === true ? renderJson(estimate) : renderTable(estimate));
    return 0;
  } catch (err) {
    // Printed escaped: the message can quote what was typed, control characters and newlines included.
    io.stderr(`ddb-audit cost: ${escapeForTerminal((err as Error).message)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
