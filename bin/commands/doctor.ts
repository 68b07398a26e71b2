/**
 * `ddb-audit doctor`: options, help and examples. What it does is cli/doctor/doctor-command.ts
 * (docs/operations.md, "doctor").
 */
import { Command } from 'commander';
import { addOptions, withExamples } from '../../cli/program/definition';
import type { ClientFactory, DoctorOptions } from '../../cli/doctor/doctor-command';
import type { CliContext } from '../program';
import { runCli } from '../program';
import type { CommandIo } from './io';

export type { ClientFactory } from '../../cli/doctor/doctor-command';

export function defineDoctor(context: CliContext): Command {
  const command = new Command('doctor')
    .summary('read-only check of a deployed installation: one PASS/WARN/FAIL line per check')
    .description('A read-only check of a deployed installation with the default AWS credential chain: one line per check, PASS|WARN|FAIL|INFO <what>[: <detail>; fix: <fix>]. Exit 0 when nothing FAILed (warnings and INFO allowed), 1 on any FAIL or when AWS cannot be reached.');
  addOptions(command, [
    { flags: '--config <file>', description: "the installation's cdk.json (its sources are what is checked)", default: './cdk.json' },
    { flags: '--region <region>', description: 'the region of the audit account', default: "the config's region" },
    { flags: '--profile <name>', description: 'a named profile of the shared AWS config', default: 'the default credential chain' },
    { flags: '--stack-outputs <file>', description: "the audit stack's outputs from this file (cdk deploy --outputs-file, or describe-stacks JSON)", default: 'read from CloudFormation' },
    { flags: '--concurrency <n>', description: 'per-source calls in flight, 1 to 64', default: '8' },
    { flags: '--json', description: 'every line as one JSON object {lines, counts}' },
  ]);
  withExamples(command, ['npx ddb-audit doctor', 'npx ddb-audit doctor --config ./cdk.json --profile audit --json']);
  return command.action(
    context.action((options: DoctorOptions) => {
      const { doctorCommand } = require('../../cli/doctor/doctor-command') as typeof import('../../cli/doctor/doctor-command');
      return doctorCommand(options, context.io, context.deps.doctor?.makeClients, context.deps.doctor?.now);
    }),
  );
}

export function run(args: string[], io: CommandIo, makeClients?: ClientFactory, now?: Date): Promise<number> {
  return runCli(['doctor', ...args], io, { doctor: { makeClients, now } });
}
