/**
 * `ddb-audit cost`: options, help and examples. What it does is cli/cost/cost-command.ts
 * (docs/scale-and-cost.md explains the model).
 */
import { Command } from 'commander';
import { addOptions, withExamples } from '../../cli/program/definition';
import { DEFAULT_INPUTS } from '../../cli/cost/model';
import type { CostOptions } from '../../cli/cost/cost-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';

export function defineCost(context: CliContext): Command {
  const d = DEFAULT_INPUTS;
  const command = new Command('cost')
    .summary('the modelled monthly AWS cost of a deployment, line by line, beside CloudTrail data events')
    .description('Print the modelled monthly AWS cost of a deployment, one line per billed quantity, and CloudTrail data events for the same writes beside it (docs/scale-and-cost.md). Prices are in cli/cost/prices.json.');
  addOptions(command, [
    { flags: '--changes-per-day <n>', description: 'changes to all source tables a day (or --changes-per-month)', default: String(d.changesPerDay) },
    { flags: '--changes-per-month <n>', description: 'changes to all source tables a month (or --changes-per-day)', default: `${d.changesPerDay} a day` },
    { flags: '--change-bytes <n>', description: 'average change record, 1 to 1000000', default: String(d.changeBytes) },
    { flags: '--tables <n>', description: 'source tables', default: String(d.tables) },
    { flags: '--accounts <n>', description: 'source accounts', default: String(d.accounts) },
    { flags: '--retention-days <n>', description: 'days of changes the log holds', default: String(d.retentionDays) },
    { flags: '--queries-per-day <n>', description: 'Athena queries a day', default: String(d.queriesPerDay) },
    { flags: '--bytes-scanned-per-query <n>', description: 'bytes an Athena query scans', default: String(d.bytesScannedPerQuery) },
    { flags: '--packing <packing>', description: 'how changes are packed into Firehose records: ndjson or single', default: d.packing },
    { flags: '--batch-size <n>', description: "the event source mapping's batch size", default: String(d.batchSize) },
    { flags: '--batching-window-seconds <n>', description: "the event source mapping's batching window", default: String(d.batchingWindowSeconds) },
    { flags: '--buffer-interval-seconds <n>', description: 'Firehose buffering interval', default: String(d.bufferIntervalSeconds) },
    { flags: '--buffer-size-mib <n>', description: 'Firehose buffering size', default: String(d.bufferSizeMiB) },
    { flags: '--no-heartbeat', description: 'leave out the heartbeat item every 5 minutes', default: 'heartbeat included' },
    { flags: '--json', description: 'one JSON object instead of the table' },
  ]);
  withExamples(command, ['npx ddb-audit cost --changes-per-month 100000000 --tables 500 --accounts 50', 'npx ddb-audit cost --changes-per-day 50000 --json']);
  return command.action(
    context.action((options: CostOptions) => {
      const { costCommand } = require('../../cli/cost/cost-command') as typeof import('../../cli/cost/cost-command');
      return costCommand(options, context.io);
    }),
  );
}

export function run(args: string[], io: CommandIo): Promise<number> {
  return runCli(['cost', ...args], io);
}
