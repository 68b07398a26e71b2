/**
 * The partitions Glue has registered for one source (account and table), with GetPartitions and an
 * expression the table's partition index (account_id, table_name, dt) answers without loading the
 * table's other partitions (https://docs.aws.amazon.com/glue/latest/dg/partition-indexes.html).
 * Pages of up to 1,000 (MaxResults, https://docs.aws.amazon.com/glue/latest/webapi/API_GetPartitions.html),
 * without column schemas (ExcludeColumnSchema): one call per source for a year of days.
 */
import { GetPartitionsCommand, type GlueClient } from '@aws-sdk/client-glue';
import { PARTITION_KEYS } from '../../schemas/change-record';
import type { SourceFolder } from './s3-partitions';

export interface GlueTableName {
  readonly database: string;
  readonly table: string;
}

/** The dt values registered for `source`, each with its location, from `since` on when given. */
export async function registeredDays(glue: Pick<GlueClient, 'send'>, table: GlueTableName, source: SourceFolder, since?: string): Promise<Map<string, string | undefined>> {
  const expression = [`account_id = ${quote(source.account_id)}`, `table_name = ${quote(source.table_name)}`, ...(since === undefined ? [] : [`dt >= ${quote(since)}`])].join(' AND ');
  const days = new Map<string, string | undefined>();
  const dtIndex = PARTITION_KEYS.indexOf('dt');
  let token: string | undefined;
  do {
    const page = await glue.send(new GetPartitionsCommand({ DatabaseName: table.database, TableName: table.table, Expression: expression, ExcludeColumnSchema: true, MaxResults: 1000, NextToken: token }));
    for (const partition of page.Partitions ?? []) {
      const dt = partition.Values?.[dtIndex];
      if (dt !== undefined) days.set(dt, partition.StorageDescriptor?.Location);
    }
    token = page.NextToken;
  } while (token);
  return days;
}

/** A string literal of a Glue partition expression (values are checked before they get here; quotes doubled anyway). */
function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
