/**
 * One doctor run: resolve the credentials, find the stacks and the audit stack's outputs, then run
 * every check in order. A credential or network failure ends the run with one DoctorFatalError
 * (every check would fail the same way); any other error fails only the check it happened in.
 */
import type { AuditConfig } from '../../schemas/audit-config';
import { auditDeployment, describeStack, outputsOfStack, StackOutputs } from '../deployment/stack-outputs';
import { AUDIT_STACK_NAME } from '../../lib/stack-names';
import { DoctorFatalError, describeError, fatalError } from './aws-errors';
import type { DoctorClients } from './clients';
import type { DeploymentState, DoctorCheck, DoctorContext } from './context';
import { DOCTOR_CHECKS } from './checks';
import { auditAccountStackNames } from './checks/stacks';
import { mapBounded } from './concurrency';
import { onError } from './checks/common';
import type { CheckLine } from './result';

export interface DoctorOptions {
  readonly clients: DoctorClients;
  readonly config: AuditConfig;
  /** The audit stack's outputs read from a file (--stack-outputs), with the name to show for it. */
  readonly outputsFile?: { readonly outputs: StackOutputs; readonly source: string };
  /** @default new Date() */
  readonly now?: Date;
  /** @default 8 */
  readonly concurrency?: number;
  /** @default DOCTOR_CHECKS */
  readonly checks?: readonly DoctorCheck[];
}

/** Per-source calls in flight: well inside the control-plane APIs' request rates with the SDK's retries. */
export const DEFAULT_CONCURRENCY = 8;

export async function runDoctor(options: DoctorOptions): Promise<CheckLine[]> {
  const { clients } = options;
  try {
    await clients.resolveCredentials();
  } catch (err) {
    throw fatalError(err) ?? new DoctorFatalError(`cannot resolve AWS credentials (${describeError(err)}); set AWS_PROFILE or pass --profile`);
  }
  const stacks = new Map<string, Awaited<ReturnType<typeof describeStack>>>();
  const stackErrors: CheckLine[] = [];
  // One mappings stack per source account (and per 300 of its tables): described with bounded parallelism.
  const names = auditAccountStackNames(options.config);
  const described = await mapBounded(names, options.concurrency ?? DEFAULT_CONCURRENCY, async (name) => {
    try {
      return { name, stack: await describeStack(clients.cloudFormation, name) };
    } catch (err) {
      // onError rethrows credential and network errors as one fatal line.
      return { name, error: onError('stacks', `stack ${name}`, err, 'cloudformation:DescribeStacks') };
    }
  });
  for (const result of described) {
    if (result.error !== undefined) stackErrors.push(result.error);
    else stacks.set(result.name, result.stack as Awaited<ReturnType<typeof describeStack>>);
  }
  const audit = stacks.get(AUDIT_STACK_NAME);
  const outputs = options.outputsFile?.outputs ?? (audit ? outputsOfStack(audit, `stack ${AUDIT_STACK_NAME}`) : undefined);
  const state: DeploymentState = {
    stacks,
    outputs,
    outputsSource: options.outputsFile?.source ?? `stack ${AUDIT_STACK_NAME}`,
    deployment: auditDeployment(outputs ?? {}),
  };
  const context: DoctorContext = { clients, config: options.config, state, now: options.now ?? new Date(), concurrency: options.concurrency ?? DEFAULT_CONCURRENCY };

  const lines: CheckLine[] = [];
  for (const check of options.checks ?? DOCTOR_CHECKS) {
    if (check.id === 'stacks' && stackErrors.length > 0) {
      // A stack that could not be described is neither missing nor healthy: say why instead.
      lines.push(...stackErrors, ...(await check.run(context)).filter((l) => !stackErrors.some((e) => e.what === l.what)));
      continue;
    }
    try {
      lines.push(...(await check.run(context)));
    } catch (err) {
      if (err instanceof DoctorFatalError) throw err;
      const fatal = fatalError(err);
      if (fatal) throw fatal;
      lines.push({ status: 'FAIL', check: check.id, what: `check ${check.id}`, detail: `could not run (${describeError(err)})`, fix: 'see docs/operations.md#doctor' });
    }
  }
  return lines;
}
