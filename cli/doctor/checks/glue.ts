/**
 * The Glue table of the change log exists with the columns derived from schemas/change-record.ts
 * (GetTable, https://docs.aws.amazon.com/glue/latest/webapi/API_GetTable.html; a missing table is
 * EntityNotFoundException). A missing or retyped column makes Athena return NULLs or fail on every
 * query; an extra column is harmless but unexpected (WARN).
 *
 * The table's partitions are registered, not projected (./partitions.ts checks them). A table that
 * still has `projection.enabled` (deployed by an older version) makes Athena ignore the registered
 * partitions and compute them from its enums instead
 * (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html): FAIL. Without
 * `partition_filtering.enabled` Athena does not use the partition indexes
 * (https://docs.aws.amazon.com/athena/latest/ug/glue-best-practices-partition-index.html): queries
 * still answer, slower as partitions grow: WARN.
 */
import { GetTableCommand } from '@aws-sdk/client-glue';
import { glueDataColumns, gluePartitionKeys } from '../../../schemas/derive';
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
    lines.push(...catalogLines(what, parameters));
    return lines;
  },
};

function catalogLines(what: string, parameters: Record<string, string>): CheckLine[] {
  if (parameters['projection.enabled'] === 'true') {
    return [{ status: 'FAIL', check: 'glue', what: `${what} partitions`, detail: 'the table still has partition projection enabled: Athena ignores the registered partitions and sees only what its enums list', fix: `deploy the current version (cdk deploy DdbAuditCollector), then ddb-audit catalog sync; ${runbook('glue')}` }];
  }
  if (parameters['partition_filtering.enabled'] !== 'true') {
    return [{ status: 'WARN', check: 'glue', what: `${what} partitions`, detail: 'partition_filtering.enabled is not "true": Athena does not use the partition indexes, and query planning slows as partitions grow', fix: `deploy the current version: cdk deploy DdbAuditCollector; ${runbook('glue')}` }];
  }
  return [{ status: 'PASS', check: 'glue', what: `${what} partitions`, detail: 'registered (no projection), with partition filtering enabled' }];
}
