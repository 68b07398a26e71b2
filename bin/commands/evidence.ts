/**
 * `ddb-audit evidence export|verify|keygen`: options, help and examples. What they do is
 * cli/evidence/evidence-command.ts (docs/evidence.md describes the package).
 */
import { Command } from 'commander';
import { addOptions, examplesOf, withExamples } from '../../cli/program/definition';
import type { EvidenceSubcommand, ExportCommandOptions, VerifyCommandOptions } from '../../cli/evidence/evidence-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';
import { DEFAULT_DATA_DIR } from './query';

const lazy = () => require('../../cli/evidence/evidence-command') as typeof import('../../cli/evidence/evidence-command');

export function defineEvidence(context: CliContext): Command {
  const group = new Command('evidence')
    .summary('signed evidence packages of a bundled query, and their verification')
    .description('Signed evidence packages: the result of one bundled query with its SQL, parameters, partitions and hashes, signed with Ed25519 or a KMS key; and their offline verification.');
  const run = (sub: EvidenceSubcommand, body: (m: ReturnType<typeof lazy>) => Promise<number>) => lazy().evidenceCommand(sub, context.io, () => body(lazy()));

  const exportCommand = new Command('export')
    .summary('run a bundled query and write a signed package (all or nothing)')
    .description('Run one bundled query and write a signed evidence package into --out. All or nothing: the package appears only complete and signed; a failure or Ctrl-C leaves nothing (not even the hidden .NAME.partial-* folder). A data folder that holds no change log is refused.');
  addOptions(exportCommand, [
    { flags: '--query <name>', description: 'the bundled query (ddb-audit query --list)', required: true },
    { flags: '-p, --param <key=value>', description: 'a query parameter; repeat for each', repeatable: true, default: 'none (optional parameters mean "all")' },
    { flags: '--out <dir>', description: 'the package folder to create (never overwritten)', required: true },
    { flags: '--data <dir>', description: 'the local data folder', default: DEFAULT_DATA_DIR },
    { flags: '--athena', description: 'run the query on Athena (needs --workgroup)' },
    { flags: '--workgroup <wg>', description: 'the Athena workgroup (with --athena)', default: 'none; required with --athena' },
    { flags: '--database <db>', description: 'the Glue database (with --athena)', default: "the workgroup's" },
    { flags: '--sign-key <file>', description: 'sign with this Ed25519 PEM private key (or --kms-key-id)', default: 'none; one of --sign-key or --kms-key-id is required' },
    { flags: '--kms-key-id <arn>', description: 'sign with this KMS asymmetric key (or --sign-key)', default: 'none; one of --sign-key or --kms-key-id is required' },
    { flags: '--reason <text>', description: 'why the package was made (ticket, audit), recorded in the manifest', default: 'none' },
  ]);
  withExamples(exportCommand, [
    'npx ddb-audit evidence export --query evidence-changes --param from=2026-01-01 --param to=2026-03-31 --out ./evidence-q1 --sign-key ./keys/evidence.pem --reason "SOC 2 sample, ticket AUD-42"',
    'npx ddb-audit evidence export --query evidence-changes --param from=2026-01-01 --param to=2026-03-31 --out ./evidence-q1 --athena --workgroup ddb-audit --kms-key-id arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  ]);
  exportCommand.action(context.action((options: ExportCommandOptions) => run('export', (m) => m.exportCommand(options, context.io))));

  const verifyCommand = new Command('verify')
    .summary('verify a package: every file, every record_hash, the signature')
    .description('Verify an evidence package offline: every listed file and nothing else, every record_hash recomputed from both row files, and the signature. Pin the signer with --public-key or --kms-key-id; without a pin, a package re-signed by anyone passes. Exit 0 intact, 1 not.')
    .argument('<dir>', 'the package folder');
  addOptions(verifyCommand, [
    { flags: '--public-key <file>', description: "pin the signer's PEM public key (from evidence keygen's FILE.pub)", default: 'unpinned: the key inside the package' },
    { flags: '--kms-key-id <arn>', description: "pin the signer's KMS key (reads its public key from KMS)", default: 'unpinned: the key inside the package' },
  ]);
  withExamples(verifyCommand, ['npx ddb-audit evidence verify ./evidence-q1 --public-key ./keys/evidence.pem.pub']);
  verifyCommand.action(context.action((dir: string, options: VerifyCommandOptions) => run('verify', (m) => m.verifyCommand(dir, options, context.io))));

  const keygenCommand = new Command('keygen').summary('write a new Ed25519 key pair: FILE (mode 0600) and FILE.pub').description('Write a new Ed25519 signing key: the private key to FILE (mode 0600) and the public key to FILE.pub. Never overwrites a key.');
  addOptions(keygenCommand, [{ flags: '--out <file>', description: 'the private key file to create', required: true }]);
  withExamples(keygenCommand, ['npx ddb-audit evidence keygen --out ./keys/evidence.pem']);
  keygenCommand.action(context.action((options: { out?: string }) => run('keygen', (m) => m.keygenCommand(options.out, context.io))));

  withExamples(group, [...examplesOf(keygenCommand), examplesOf(exportCommand)[0] as string, ...examplesOf(verifyCommand)]);
  return group.addCommand(exportCommand).addCommand(verifyCommand).addCommand(keygenCommand);
}

export function run(args: string[], io: CommandIo): Promise<number> {
  return runCli(['evidence', ...args], io);
}
