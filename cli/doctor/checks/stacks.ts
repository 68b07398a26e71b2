/**
 * The audit-account stacks (the audit stack and each source account's mappings stacks, named from
 * the config as the CDK app names them) exist and are settled, and the audit stack has every output the
 * runbook and the other checks read (schemas/deployment.ts).
 *
 * Stack statuses (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html):
 * CREATE_COMPLETE, UPDATE_COMPLETE and IMPORT_COMPLETE are healthy; UPDATE_ROLLBACK_COMPLETE means
 * the last update failed and the stack runs its previous version (WARN); ROLLBACK_COMPLETE means the
 * first create failed and nothing usable is deployed (FAIL); *_IN_PROGRESS is a deploy under way.
 */
import type { Stack } from '@aws-sdk/client-cloudformation';
import { missingOutputKeys } from '../../deployment/stack-outputs';
import type { AuditConfig } from '../../../schemas/audit-config';
import { parseStreamArn } from '../../../lambda/core/stream-arn';
import { MAPPINGS_PER_STACK } from '../../../lib/stack-chunks';
import { resolveWatch } from '../../../lib/config/load';
import { AUDIT_STACK_NAME, mappingsStackName, WATCH_STACK_NAME } from '../../../lib/stack-names';
import type { DoctorCheck, DoctorContext } from '../context';
import { CheckLine, CheckStatus, runbook } from '../result';

/** The audit account's stacks for this config: the audit stack, the watch stack when watch.enabled, then each account's mappings stacks (lib/audit-app.ts). */
export function auditAccountStackNames(config: AuditConfig): string[] {
  const perAccount = new Map<string, number>();
  for (const source of config.sources) {
    const account = parseStreamArn(source.streamArn)?.accountId;
    if (account !== undefined) perAccount.set(account, (perAccount.get(account) ?? 0) + 1);
  }
  const names = [AUDIT_STACK_NAME];
  if (resolveWatch(config).enabled) names.push(WATCH_STACK_NAME);
  for (const [account, count] of perAccount) {
    for (let chunk = 0; chunk * MAPPINGS_PER_STACK < count; chunk++) names.push(mappingsStackName(account, chunk));
  }
  return names;
}

const HEALTHY = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);
const SETTLED_BUT_ROLLED_BACK = new Set(['UPDATE_ROLLBACK_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);

export function stackStatusVerdict(status: string | undefined): CheckStatus {
  if (status !== undefined && HEALTHY.has(status)) return 'PASS';
  if (status !== undefined && (SETTLED_BUT_ROLLED_BACK.has(status) || status.endsWith('_IN_PROGRESS'))) return 'WARN';
  return 'FAIL';
}

function stackLine(name: string, stack: Stack | undefined): CheckLine {
  const what = `stack ${name}`;
  if (!stack) return { status: 'FAIL', check: 'stacks', what, detail: 'does not exist in this account and region', fix: `cdk deploy ${name} (or pass the right --region / --profile); ${runbook('stacks')}` };
  const status = stack.StackStatus;
  const verdict = stackStatusVerdict(status);
  const reason = stack.StackStatusReason ? ` (${stack.StackStatusReason})` : '';
  if (verdict === 'PASS') return { status: 'PASS', check: 'stacks', what, detail: status };
  if (status?.endsWith('_IN_PROGRESS')) return { status: 'WARN', check: 'stacks', what, detail: `${status}: a deployment is under way`, fix: 'run doctor again when it has finished' };
  if (verdict === 'WARN') return { status: 'WARN', check: 'stacks', what, detail: `${status}${reason}: the last update failed and was rolled back; the previous version runs`, fix: `read the stack events, fix the cause, cdk deploy ${name}` };
  const fix = status === 'ROLLBACK_COMPLETE' ? `the first deploy failed: read the stack events, delete the stack, fix the cause, cdk deploy ${name}` : `read the stack events; ${runbook('stacks')}`;
  return { status: 'FAIL', check: 'stacks', what, detail: `${status ?? 'no status'}${reason}`, fix };
}

export const stacksCheck: DoctorCheck = {
  id: 'stacks',
  run: async ({ state, config }: DoctorContext) => {
    const lines = auditAccountStackNames(config).map((name) => stackLine(name, state.stacks.get(name)));
    const audit = state.stacks.get(AUDIT_STACK_NAME);
    // The stack ARN names its account: credentials for another account would check the wrong installation.
    const account = /^arn:[^:]+:cloudformation:[^:]+:(\d{12}):/.exec(audit?.StackId ?? '')?.[1];
    if (account !== undefined && account !== config.auditAccountId) {
      lines.push({ status: 'FAIL', check: 'stacks', what: 'audit account', detail: `stack ${AUDIT_STACK_NAME} is in account ${account}, but the config's auditAccountId is ${config.auditAccountId}`, fix: 'use credentials of the audit account (--profile), or --config of this installation' });
    }
    if (state.outputs === undefined) {
      lines.push({ status: 'FAIL', check: 'stacks', what: `outputs of ${AUDIT_STACK_NAME}`, detail: `not available from ${state.outputsSource}`, fix: `cdk deploy ${AUDIT_STACK_NAME}; ${runbook('stacks')}` });
      return lines;
    }
    const missing = missingOutputKeys(state.outputs);
    lines.push(
      missing.length === 0
        ? { status: 'PASS', check: 'stacks', what: `outputs of ${AUDIT_STACK_NAME}`, detail: `all ${Object.keys(state.outputs).length} present (${state.outputsSource})` }
        : { status: 'FAIL', check: 'stacks', what: `outputs of ${AUDIT_STACK_NAME}`, detail: `missing ${missing.join(', ')} (${state.outputsSource})`, fix: `deploy the current version: cdk deploy ${AUDIT_STACK_NAME}${state.outputsSource.startsWith('stack ') ? '' : `, then write the file again with --outputs-file`}` },
    );
    return lines;
  },
};
