/**
 * `ddb-audit log digest|verify`: options, help and examples. What they do is cli/log/log-command.ts
 * (docs/tamper-evident-log.md describes the digest chain).
 */
import { Command } from 'commander';
import { addOptions, examplesOf, withExamples } from '../../cli/program/definition';
import type { DigestCommandOptions, VerifyLogCommandOptions } from '../../cli/log/log-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';
import { DEFAULT_DATA_DIR } from './query';

const lazy = () => require('../../cli/log/log-command') as typeof import('../../cli/log/log-command');

export function defineLog(context: CliContext): Command {
  const group = new Command('log')
    .summary('hourly signed digests of the change log, and verification of the chain and every object')
    .description('The tamper-evident log: hourly signed digests that chain to each other and list every object, and the verification of the chain and of every object it lists.');

  const digest = new Command('digest')
    .summary('write the hourly digests that are due for a local data folder')
    .description('Write the hourly digests that are due for a local data folder (the same code as the digest Lambda). A folder without a digest chain gets one only with --init, so a mistyped --data never starts a new chain. Without --sign-key the key is DATA/.keys/digest-signing-key.pem, created with the chain.');
  addOptions(digest, [
    { flags: '--data <dir>', description: 'the local data folder', default: DEFAULT_DATA_DIR },
    { flags: '--init', description: 'start a new digest chain in a folder that has none (refused where one exists)' },
    { flags: '--sign-key <file>', description: 'sign with this Ed25519 PEM private key', default: 'DATA/.keys/digest-signing-key.pem (created on --init)' },
    { flags: '--include-current-hour', description: 'also digest the hour in progress' },
  ]);
  withExamples(digest, ['npx ddb-audit log digest --data ./audit-data --init', 'npx ddb-audit log digest --data ./audit-data']);
  digest.action(context.action((options: DigestCommandOptions) => lazy().logCommand('digest', context.io, () => lazy().digestCommand(options, context.io))));

  const verify = new Command('verify')
    .summary('walk the digest chain and check every object it lists')
    .description('Walk the digest chain and every object it lists, and account for every entry under changes/. Exit 0 when INTACT; 1 on any finding, and when nothing was verified (a missing or empty location is NOT VERIFIED, never clean).');
  addOptions(verify, [
    { flags: '--from <time>', description: 'first hour to check: yyyy-MM-dd, yyyy-MM-ddTHH or an ISO-8601 time with a zone', default: 'the first digest' },
    { flags: '--to <time>', description: 'last hour to check, in the same forms', default: 'the newest digest' },
    { flags: '--data <dir>', description: 'a local data folder (or --bucket)', default: DEFAULT_DATA_DIR },
    { flags: '--bucket <name>', description: 'the log bucket in S3 instead of a local folder', default: 'none: the local --data folder' },
    { flags: '--region <region>', description: 'the bucket region (with --bucket)', default: 'AWS_REGION, then the profile\'s' },
    { flags: '--public-key <file>', description: "pin the digest signer's PEM public key", default: 'unpinned: the key the digests name' },
    { flags: '--require-object-lock', description: 'also require Object Lock retention on a local folder (always checked with --bucket)' },
    { flags: '--format <format>', description: 'the report as text or one JSON object', choices: ['text', 'json'], default: 'text' },
  ]);
  withExamples(verify, [
    'npx ddb-audit log verify --data ./audit-data --public-key ./audit-data/.keys/digest-signing-key.pem.pub',
    'npx ddb-audit log verify --bucket my-audit-log-bucket --region eu-west-1 --from 2026-03-01 --to 2026-03-31 --format json',
  ]);
  verify.action(context.action((options: VerifyLogCommandOptions) => lazy().logCommand('verify', context.io, () => lazy().verifyLogCommand(options, context.io))));

  withExamples(group, [...examplesOf(digest), examplesOf(verify)[0] as string]);
  return group.addCommand(digest).addCommand(verify);
}

export function run(args: string[], io: CommandIo): Promise<number> {
  return runCli(['log', ...args], io);
}
