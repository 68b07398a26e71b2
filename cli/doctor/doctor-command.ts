/**
 * What `ddb-audit doctor` does once its arguments are parsed (bin/commands/doctor.ts defines them):
 * a read-only check of a deployed installation with the default AWS credential chain, one line per
 * check, `PASS|WARN|FAIL <what>[: <detail>; fix: <fix>]` (docs/operations.md, "doctor").
 *
 * Exit 0 when nothing FAILed (warnings allowed), 1 on any FAIL or when AWS cannot be reached,
 * 2 for bad arguments or an unreadable config.
 */
import { resolve } from 'node:path';
import { readStackOutputsFile, StackOutputsError } from '../deployment/stack-outputs';
import { DoctorFatalError } from './aws-errors';
import { createDoctorClients, DoctorClients, DoctorClientOptions } from './clients';
import { countByStatus, renderText } from './result';
import { DEFAULT_CONCURRENCY, runDoctor } from './run-doctor';
import { loadAuditConfig } from '../../lib/config/load';
import { AuditConfigError } from '../../lib/config/validate';
import type { AuditConfig } from '../../schemas/audit-config';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';

/** Tests pass clients whose calls are mocked; the command itself uses the default credential chain. */
export type ClientFactory = (options: DoctorClientOptions) => DoctorClients;

export interface DoctorOptions {
  readonly config?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly stackOutputs?: string;
  readonly concurrency?: string;
  readonly json?: boolean;
}

export async function doctorCommand(values: DoctorOptions, io: CommandIo, makeClients: ClientFactory = createDoctorClients, now?: Date): Promise<number> {
  let config: AuditConfig;
  let outputsFile: { outputs: Record<string, string>; source: string } | undefined;
  let concurrency = DEFAULT_CONCURRENCY;
  try {
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
    if (values.stackOutputs !== undefined) outputsFile = { outputs: readStackOutputsFile(resolve(io.cwd, values.stackOutputs), values.stackOutputs), source: values.stackOutputs };
  } catch (err) {
    if (err instanceof UsageError || err instanceof StackOutputsError) {
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
