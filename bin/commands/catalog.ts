/**
 * `ddb-audit catalog sync`: options, help and examples. What it does is cli/catalog/catalog-command.ts
 * (docs/queries.md, "The catalog").
 */
import { Command } from 'commander';
import { addOptions, examplesOf, withExamples } from '../../cli/program/definition';
import type { CatalogClientFactory, CatalogSyncOptions } from '../../cli/catalog/catalog-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';

export type { CatalogClients, CatalogClientFactory } from '../../cli/catalog/catalog-command';

export function defineCatalog(context: CliContext): Command {
  const group = new Command('catalog').summary('the Glue catalog of the change log').description("The Glue catalog of the change log: its registered partitions.");
  const sync = new Command('sync')
    .summary('register in Glue every change-log partition S3 holds and Glue lacks')
    .description('Register in Glue every change-log partition S3 holds and Glue lacks: the repair for a lost S3 event, and what a new deployment over existing data runs. Exit 0 when every partition in S3 is registered (or, with --dry-run, when the comparison ran); 1 when some could not be registered or nothing was found under changes/ (an empty log is not a clean result).');
  addOptions(sync, [
    { flags: '--bucket <name>', description: 'the change-log bucket', default: 'the ChangeLogBucketName output of the deployment' },
    { flags: '--stack-outputs <file>', description: "the audit stack's outputs (cdk deploy --outputs-file, or describe-stacks JSON)", default: 'none' },
    { flags: '--from-stack', description: 'read the outputs from CloudFormation (DescribeStacks of DdbAuditCollector)' },
    { flags: '--database <db>', description: 'the Glue database (with --table)', default: 'the GlueTable output, else ddb_audit' },
    { flags: '--table <name>', description: 'the Glue table (with --database)', default: 'the GlueTable output, else audit_changes' },
    { flags: '--since <yyyy-MM-dd>', description: 'compare only days from this one on', default: 'every day' },
    { flags: '--dry-run', description: 'compare and report, register nothing' },
    { flags: '--concurrency <n>', description: 'sources compared at once, 1 to 64', default: '8' },
    { flags: '--region <region>', description: 'the region of the clients', default: "AWS_REGION, then the profile's" },
    { flags: '--json', description: 'the report as one JSON object' },
  ]);
  withExamples(sync, ['npx ddb-audit catalog sync --stack-outputs ./outputs.json --dry-run', 'npx ddb-audit catalog sync --from-stack --since 2026-03-01 --json']);
  sync.action(
    context.action((options: CatalogSyncOptions) => {
      const { catalogSyncCommand } = require('../../cli/catalog/catalog-command') as typeof import('../../cli/catalog/catalog-command');
      return catalogSyncCommand(options, context.io, context.deps.catalog?.makeClients);
    }),
  );
  withExamples(group, [...examplesOf(sync)]);
  return group.addCommand(sync);
}

export function run(args: string[], io: CommandIo, makeClients?: CatalogClientFactory): Promise<number> {
  return runCli(['catalog', ...args], io, { catalog: { makeClients } });
}
