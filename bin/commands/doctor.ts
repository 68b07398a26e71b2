/**
 * `ddb-audit doctor [--config cdk.json] [--region R] [--profile P] [--stack-outputs FILE] [--json]`
 * A read-only check of a deployed installation with the default AWS credential chain: one line
 * per check, `PASS|WARN|FAIL <what>[: <detail>; fix: <fix>]` (docs/operations.md, "doctor").
 *
 * --config FILE         the installation's cdk.json (its sources are what is checked) @default ./cdk.json
 * --region R            @default the config's region
 * --profile P           a named profile of the shared AWS config @default the default credential chain
 * --stack-outputs FILE  the audit stack's outputs from this file (cdk deploy --outputs-file, or
 *                       describe-stacks JSON) instead of from CloudFormation
 * --concurrency N       per-source calls in flight @default 8
 * --json                every line as one JSON object {lines, counts} on stdout
 *
 * Exit 0 when nothing FAILed (warnings allowed), 1 on any FAIL or when AWS cannot be reached,
 * 2 for bad arguments or an unreadable config.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readStackOutputsFile, StackOutputsError } from '../../cli/deployment/stack-outputs';
import { DoctorFatalError } from '../../cli/doctor/aws-errors';
import { createDoctorClients, DoctorClients, DoctorClientOptions } from '../../cli/doctor/clients';
import { countByStatus, renderText } from '../../cli/doctor/result';
import { DEFAULT_CONCURRENCY, runDoctor } from '../../cli/doctor/run-doctor';
import { loadAuditConfig } from '../../lib/config/load';
import { AuditConfigError } from '../../lib/config/validate';
import type { AuditConfig } from '../../schemas/audit-config';
import { CommandIo, UsageError } from './io';

const OPTIONS = {
  config: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  'stack-outputs': { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const USAGE = 'usage: ddb-audit doctor [--config cdk.json] [--region R] [--profile P] [--stack-outputs FILE] [--concurrency N] [--json]';

/** Tests pass clients whose calls are mocked; the command itself uses the default credential chain. */
export type ClientFactory = (options: DoctorClientOptions) => DoctorClients;

export async function run(args: string[], io: CommandIo, makeClients: ClientFactory = createDoctorClients, now?: Date): Promise<number> {
  let config: AuditConfig;
  let values: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };
  let outputsFile: { outputs: Record<string, string>; source: string } | undefined;
  let concurrency = DEFAULT_CONCURRENCY;
  try {
    const parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
    values = parsed.values;
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"; ${USAGE}`);
    if (values.concurrency !== undefined) {
      if (!/^\d+$/.test(values.concurrency) || Number(values.concurrency) < 1 || Number(values.concurrency) > 64) throw new UsageError(`--concurrency "${values.concurrency}" is not a whole number from 1 to 64`);
      concurrency = Number(values.concurrency);
    }
    const configArg = values.config ?? 'cdk.json';
    try {
      config = loadAuditConfig(resolve(io.cwd, configArg));
    } catch (err) {
      const problems = err instanceof AuditConfigError ? err.problems.join('; ') : (err as Error).message;
      throw new UsageError(`--config ${configArg}: ${problems}${values.config === undefined ? ' (run doctor in the folder of the installation\'s cdk.json, or pass --config)' : ''}`);
    }
    if (values['stack-outputs'] !== undefined) outputsFile = { outputs: readStackOutputsFile(resolve(io.cwd, values['stack-outputs']), values['stack-outputs']), source: values['stack-outputs'] };
  } catch (err) {
    if (err instanceof UsageError || err instanceof StackOutputsError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`ddb-audit doctor: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }

  try {
    const clients = makeClients({ region: values.region ?? config.region, ...(values.profile !== undefined ? { profile: values.profile } : {}) });
    const lines = await runDoctor({ clients, config, outputsFile, concurrency, ...(now ? { now } : {}) });
    const counts = countByStatus(lines);
    io.stdout(values.json ? `${JSON.stringify({ lines, counts })}\n` : renderText(lines));
    return counts.FAIL > 0 ? 1 : 0;
  } catch (err) {
    // Never a stack trace: one line saying what is wrong and what to do.
    const message = err instanceof DoctorFatalError ? err.message : `unexpected error (${(err as Error).name}: ${String((err as Error).message).split('\n')[0]})`;
    io.stderr(`ddb-audit doctor: ${message}\n`);
    return 1;
  }
}
