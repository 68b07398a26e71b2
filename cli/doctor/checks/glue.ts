/**
 * The Glue table of the change log exists with the columns derived from schemas/change-record.ts
 * (GetTable, https://docs.aws.amazon.com/glue/latest/webapi/API_GetTable.html; a missing table is
 * EntityNotFoundException). A missing or retyped column makes Athena return NULLs or fail on every
 * query; an extra column is harmless but unexpected (WARN).
 *
 * With partition projection, Athena computes the partitions from the table properties instead of
 * looking them up (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html): for an
 * enum projection, the comma-separated `projection.<key>.values`, where any whitespace is part of a
 * value (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html).
 * A source account or table missing from the enum is a source whose changes no query returns, with
 * no error: FAIL.
 */
import { GetTableCommand } from '@aws-sdk/client-glue';
import { glueDataColumns, gluePartitionKeys } from '../../../schemas/derive';
import { parseStreamArn } from '../../../lambda/core/stream-arn';
import { DEFAULT_GLUE_TABLE } from '../../deployment/stack-outputs';
import type { DoctorCheck, DoctorContext } from '../context';
import { CheckLine, runbook } from '../result';
import { onError } from './common';

interface Column {
  readonly Name?: string;
  readonly Type?: string;
}

/** Differences between the table's columns and the expected ones, as sentences. */
export function columnDifferences(expected: readonly { name: string; type: string }[], actual: readonly Column[], kind: string): { missing: string[]; wrong: string[]; extra: string[] } {
  const byName = new Map(actual.map((c) => [(c.Name ?? '').toLowerCase(), (c.Type ?? '').toLowerCase()]));
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const column of expected) {
    const type = byName.get(column.name);
    if (type === undefined) missing.push(`${kind} ${column.name}`);
    else if (type.replace(/\s+/g, '') !== column.type.replace(/\s+/g, '')) wrong.push(`${kind} ${column.name} is ${type}, expected ${column.type}`);
  }
  const names = new Set(expected.map((c) => c.name));
  const extra = [...byName.keys()].filter((n) => !names.has(n)).map((n) => `${kind} ${n}`);
  return { missing, wrong, extra };
}

export const glueCheck: DoctorCheck = {
  id: 'glue',
  run: async (context: DoctorContext): Promise<CheckLine[]> => {
    // Without the GlueTable output, the project's own names (the stacks check reports the missing output).
    const { database, table } = context.state.deployment.glueTable ?? DEFAULT_GLUE_TABLE;
    const what = `Glue table ${database}.${table}`;
    let columns: Column[];
    let partitions: Column[];
    let parameters: Record<string, string>;
    try {
      const reply = await context.clients.glue.send(new GetTableCommand({ DatabaseName: database, Name: table }));
      columns = reply.Table?.StorageDescriptor?.Columns ?? [];
      partitions = reply.Table?.PartitionKeys ?? [];
      parameters = reply.Table?.Parameters ?? {};
    } catch (err) {
      if ((err as Error).name === 'EntityNotFoundException') return [{ status: 'FAIL', check: 'glue', what, detail: 'does not exist: Firehose cannot convert to Parquet and Athena has nothing to query', fix: `cdk deploy DdbAuditCollector; ${runbook('glue')}` }];
      return [onError('glue', what, err, 'glue:GetTable')];
    }
    const data = columnDifferences(glueDataColumns(), columns, 'column');
    const keys = columnDifferences(gluePartitionKeys(), partitions, 'partition key');
    const problems = [...data.missing, ...keys.missing].map((p) => `missing ${p}`).concat(data.wrong, keys.wrong);
    const lines: CheckLine[] = [];
    if (problems.length > 0) lines.push({ status: 'FAIL', check: 'glue', what, detail: problems.join('; '), fix: `deploy the current version: cdk deploy DdbAuditCollector; ${runbook('glue')}` });
    const extra = [...data.extra, ...keys.extra];
    if (extra.length > 0) lines.push({ status: 'WARN', check: 'glue', what, detail: `unexpected ${extra.join(', ')}`, fix: 'someone changed the table outside CDK: cdk deploy DdbAuditCollector restores it' });
    if (lines.length === 0) lines.push({ status: 'PASS', check: 'glue', what, detail: `${columns.length} columns and ${partitions.length} partition keys as in schemas/change-record.ts` });
    lines.push(...projectionLines(context, what, parameters));
    return lines;
  },
};

/** Values an enum projection of `key` lacks, or undefined when `key` is not enum-projected. */
function missingFromEnum(parameters: Record<string, string>, key: string, wanted: Iterable<string>): string[] | undefined {
  if (parameters[`projection.${key}.type`] !== 'enum') return undefined;
  // Not trimmed: Athena reads whitespace as part of the value, so " Orders" does not match Orders.
  const values = new Set((parameters[`projection.${key}.values`] ?? '').split(','));
  return [...new Set(wanted)].filter((v) => !values.has(v));
}

function projectionLines(context: DoctorContext, what: string, parameters: Record<string, string>): CheckLine[] {
  if (parameters['projection.enabled'] !== 'true') return [];
  const sources = context.config.sources.map((s) => parseStreamArn(s.streamArn)).filter((p) => p !== undefined);
  const heartbeat = context.state.deployment.heartbeatTable;
  const accounts = [...sources.map((s) => s.accountId), ...(typeof heartbeat === 'string' ? [context.config.auditAccountId] : [])];
  const tables = [...sources.map((s) => s.tableName), ...(typeof heartbeat === 'string' ? [heartbeat] : [])];
  const missing = [
    ...(missingFromEnum(parameters, 'account_id', accounts) ?? []).map((v) => `account_id ${v}`),
    ...(missingFromEnum(parameters, 'table_name', tables) ?? []).map((v) => `table_name ${v}`),
  ];
  const projectionWhat = `${what} partition projection`;
  if (missing.length === 0) return [{ status: 'PASS', check: 'glue', what: projectionWhat, detail: `covers every onboarded account and table${typeof heartbeat === 'string' ? ' and the heartbeat' : ''}` }];
  const shown = missing.slice(0, 5).join(', ');
  return [
    {
      status: 'FAIL',
      check: 'glue',
      what: projectionWhat,
      detail: `lacks ${shown}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}: Athena returns no rows for them, with no error`,
      fix: `cdk deploy DdbAuditCollector with this config (the projection is built from it); ${runbook('glue')}`,
    },
  ];
}
