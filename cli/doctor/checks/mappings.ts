/**
 * Every event source mapping of the collector is Enabled and its last processing result is not a
 * problem; every onboarded stream (and the heartbeat's) has a mapping; and no mapping reads a
 * stream the config does not onboard, such as a table's old stream after it was replaced.
 *
 * ListEventSourceMappings by FunctionName, page by page with Marker
 * (https://docs.aws.amazon.com/lambda/latest/api/API_ListEventSourceMappings.html). State is one of
 * Creating, Enabling, Enabled, Disabling, Disabled, Updating, Deleting
 * (https://docs.aws.amazon.com/lambda/latest/api/API_EventSourceMappingConfiguration.html).
 * LastProcessingResult is documented only as "the result of the last Lambda invocation"; the values
 * seen are "OK", "No records processed" and "PROBLEM: ...". Doctor therefore FAILs on a PROBLEM
 * prefix, passes the two known good values, and WARNs on anything else, showing it, rather than
 * rely on an undocumented list.
 * A mapping can show Enabled and OK while reading a stream that was replaced: hence the ARN checks.
 */
import { ListEventSourceMappingsCommand, type EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import { parseStreamArn } from '../../../lambda/core/stream-arn';
import { MAPPINGS_STACK_NAME_PREFIX } from '../../../lib/stack-names';

/** The mappings stacks of the stream's account (`DdbAuditMappings-<account>[-<n>]`), as a cdk deploy pattern. */
const mappingsStacksOf = (streamArn: string) => `'${MAPPINGS_STACK_NAME_PREFIX}${parseStreamArn(streamArn)?.accountId ?? '*'}*'`;
import { HEARTBEAT_TABLE_NAME } from '../../../schemas/deployment';
import type { DoctorCheck, DoctorContext } from '../context';
import { CheckLine, CheckStatus, runbook, worst } from '../result';
import { notChecked, onError } from './common';

const GOOD_RESULTS = new Set(['OK', 'No records processed']);
const SETTLING_STATES = new Set(['Creating', 'Enabling', 'Updating']);

/** The verdict on one mapping's LastProcessingResult. */
export function processingResultVerdict(result: string | undefined): CheckStatus {
  if (result === undefined || GOOD_RESULTS.has(result)) return 'PASS';
  return /^PROBLEM/i.test(result) ? 'FAIL' : 'WARN';
}

async function listMappings(context: DoctorContext, functionName: string): Promise<EventSourceMappingConfiguration[]> {
  const mappings: EventSourceMappingConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await context.clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName, Marker: marker, MaxItems: 100 }));
    mappings.push(...(page.EventSourceMappings ?? []));
    marker = page.NextMarker;
  } while (marker);
  return mappings;
}

export const mappingsCheck: DoctorCheck = {
  id: 'mappings',
  run: async (context: DoctorContext): Promise<CheckLine[]> => {
    const { deployment } = context.state;
    const functionName = deployment.collectorFunction;
    if (functionName === undefined) return [notChecked('mappings', 'event source mappings', 'CollectorFunctionName')];
    let mappings: EventSourceMappingConfiguration[];
    try {
      mappings = await listMappings(context, functionName);
    } catch (err) {
      return [onError('mappings', 'event source mappings', err, 'lambda:ListEventSourceMappings')];
    }
    const lines: CheckLine[] = [];
    const statuses: CheckStatus[] = [];
    const add = (line: CheckLine) => {
      lines.push(line);
      statuses.push(line.status);
    };

    const configured = new Map(context.config.sources.map((s) => [s.streamArn, parseStreamArn(s.streamArn)]));
    const configuredByTable = new Map([...configured].map(([arn, parts]) => [parts?.tableArn ?? arn, arn]));
    // The heartbeat's own mapping is not a stray one. Without the output (the stacks check fails for
    // it), the contract's table name still identifies it.
    const heartbeatTable = deployment.heartbeatTable ?? undefined;
    const heartbeatName = deployment.heartbeatTable === undefined ? HEARTBEAT_TABLE_NAME : heartbeatTable;
    const isHeartbeat = (arn: string) => {
      const parts = parseStreamArn(arn);
      return heartbeatName !== undefined && parts?.accountId === context.config.auditAccountId && parts.tableName === heartbeatName;
    };
    const mapped = new Set<string>();
    let heartbeatMapped = false;
    let healthy = 0;

    for (const mapping of mappings) {
      const arn = mapping.EventSourceArn ?? '(no event source)';
      const what = `mapping ${mapping.UUID ?? '?'} (${arn})`;
      mapped.add(arn);
      if (isHeartbeat(arn)) heartbeatMapped = true;
      else if (!configured.has(arn)) {
        const parts = parseStreamArn(arn);
        const current = parts ? configuredByTable.get(parts.tableArn) : undefined;
        add({
          status: 'FAIL',
          check: 'mappings',
          what,
          detail: current !== undefined ? `reads an old stream of the table; the config onboards ${current}` : 'reads a stream the config does not onboard',
          fix: `cdk deploy ${mappingsStacksOf(arn)} with this config (it replaces or removes the mapping); ${runbook('mappings')}`,
        });
        continue;
      }
      const state = mapping.State ?? 'unknown';
      const result = mapping.LastProcessingResult;
      if (state !== 'Enabled') {
        const settling = SETTLING_STATES.has(state);
        add({ status: settling ? 'WARN' : 'FAIL', check: 'mappings', what, detail: `is ${state}${mapping.StateTransitionReason ? ` (${mapping.StateTransitionReason})` : ''}`, fix: settling ? 'wait a minute and run doctor again' : `enable it (aws lambda update-event-source-mapping --uuid ${mapping.UUID} --enabled), or cdk deploy ${mappingsStacksOf(arn)}; ${runbook('mappings')}` });
        continue;
      }
      const verdict = processingResultVerdict(result);
      if (verdict !== 'PASS') {
        add({ status: verdict, check: 'mappings', what, detail: `last processing result: ${result}`, fix: runbook('mappings') });
        continue;
      }
      healthy++;
    }

    const unmapped = [...configured.keys()].filter((arn) => !mapped.has(arn));
    for (const arn of unmapped) add({ status: 'FAIL', check: 'mappings', what: `stream ${arn}`, detail: 'has no event source mapping: its changes are not read', fix: `cdk deploy ${mappingsStacksOf(arn)}; ${runbook('mappings')}` });
    if (heartbeatTable !== undefined && !heartbeatMapped) add({ status: 'FAIL', check: 'mappings', what: `heartbeat table ${heartbeatTable}`, detail: 'its stream has no event source mapping, so the heartbeat proves nothing', fix: `cdk deploy --all; ${runbook('heartbeat')}` });

    const total = mappings.length;
    // No mapping at all reads nothing: never a pass, even with nothing onboarded.
    if (total === 0) statuses.push('WARN');
    const summary = worst(statuses);
    lines.push({ status: summary, check: 'mappings', what: `${healthy} of ${total} event source mappings Enabled with a good last processing result, ${configured.size - unmapped.length} of ${configured.size} onboarded streams mapped`, ...(summary === 'PASS' ? {} : { detail: total === 0 ? 'the collector has no event source mapping: it reads nothing' : 'see the lines above' }) });
    return lines;
  },
};
