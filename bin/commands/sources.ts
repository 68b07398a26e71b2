/**
 * `ddb-audit sources add|list|validate`: options, help and examples. What they do is
 * cli/sources/sources-command.ts (docs/onboarding.md describes onboarding).
 */
import { Command } from 'commander';
import { addOptions, examplesOf, OptionSpec, withExamples } from '../../cli/program/definition';
import type { AddOptions, RotateOptions, SourcesDependencies } from '../../cli/sources/sources-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';

export type { SourcesDependencies } from '../../cli/sources/sources-command';

const lazy = () => require('../../cli/sources/sources-command') as typeof import('../../cli/sources/sources-command');

const CDK_JSON: OptionSpec = { flags: '--cdk-json <path>', description: 'the project config to read (and, for add, to edit)', default: 'DDB_AUDIT_CDK_JSON, then ./cdk.json' };

export function defineSources(context: CliContext): Command {
  const group = new Command('sources')
    .summary('onboard source tables (one entry in cdk.json) and check the config')
    .description('Onboard DynamoDB source tables: each is one entry in the `audit` context of cdk.json.');

  const add = new Command('add')
    .summary('add a source to cdk.json and print what each account deploys')
    .description("Validate the whole resulting config (the same checks as cdk synth), add the stream's entry to cdk.json (locked, atomic, every other byte kept), and print what the audit and source accounts deploy, in order.");
  addOptions(add, [
    { flags: '--stream-arn <arn>', description: 'the full stream ARN: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL', required: true },
    { flags: '--actor-attribute <name>', description: 'the item attribute that names who made the change', default: 'none: no actor recorded' },
    { flags: '--redact <paths>', description: 'comma-separated attribute paths to redact (a,b.c)', default: 'none' },
    { flags: '--key-attributes <pk[,sk]>', description: "the table's key schema, partition key then sort key (lets the config refuse redacting a key)", default: 'not recorded' },
    { flags: '--kms-key-arn <arn>', description: "the table's customer managed KMS key", default: 'none: an AWS owned key' },
    CDK_JSON,
  ]);
  withExamples(add, ['npx ddb-audit sources add --stream-arn arn:aws:dynamodb:eu-west-1:111122223333:table/Orders/stream/2026-01-01T00:00:00.000 --actor-attribute updatedBy --redact card.number,ssn']);
  add.action(context.action((options: AddOptions) => lazy().sourcesCommand('add', context.io, () => lazy().addSource(options, context.io, context.deps.sources))));

  const rotate = new Command('rotate')
    .summary("move an onboarded table to its new stream ARN in cdk.json")
    .description("Move an onboarded table to its new stream: re-enabling a stream or changing its view type gives it a new ARN, and the mapping keeps reading the old one (docs/coverage.md). Same lock, checks and atomic write as add; only the entry's streamArn changes. Prints the next steps: deploy, then fill the gap the watch recorded.");
  addOptions(rotate, [
    { flags: '--table-arn <arn>', description: 'the onboarded table: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME', required: true },
    { flags: '--stream-arn <arn>', description: "the table's new stream ARN (its LatestStreamArn)", required: true },
    CDK_JSON,
  ]);
  withExamples(rotate, ['npx ddb-audit sources rotate --table-arn arn:aws:dynamodb:eu-west-1:111122223333:table/Orders --stream-arn arn:aws:dynamodb:eu-west-1:111122223333:table/Orders/stream/2026-03-01T00:00:00.000']);
  rotate.action(context.action((options: RotateOptions) => lazy().sourcesCommand('rotate', context.io, () => lazy().rotateSource(options, context.io, context.deps.sources))));

  const list = new Command('list').summary('one line per onboarded source').description('One line per onboarded source; --json prints the same columns, one JSON object per line, with exact values.');
  addOptions(list, [{ flags: '--json', description: 'one JSON object per source, keyed by column' }, CDK_JSON]);
  withExamples(list, ['npx ddb-audit sources list', 'npx ddb-audit sources list --json']);
  list.action(context.action((options: { json?: boolean; cdkJson?: string }) => lazy().sourcesCommand('list', context.io, () => lazy().listSources(options, context.io))));

  const validate = new Command('validate').summary("the config's problems, as cdk synth words them").description("Check the audit config as cdk synth does and print its problems; exit 1 when there are any.");
  addOptions(validate, [CDK_JSON]);
  withExamples(validate, ['npx ddb-audit sources validate', 'npx ddb-audit sources validate --cdk-json ./cdk.json']);
  validate.action(context.action((options: { cdkJson?: string }) => lazy().sourcesCommand('validate', context.io, () => lazy().validateSources(options, context.io))));

  withExamples(group, [...examplesOf(add), ...examplesOf(rotate), examplesOf(list)[0] as string, examplesOf(validate)[0] as string]);
  return group.addCommand(add).addCommand(rotate).addCommand(list).addCommand(validate);
}

export function run(args: string[], io: CommandIo, deps?: SourcesDependencies): Promise<number> {
  return runCli(['sources', ...args], io, { sources: deps });
}
