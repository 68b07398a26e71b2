/**
 * Runs a bundled query on Athena: StartQueryExecution, poll GetQueryExecution until it ends,
 * then page through GetQueryResults. Values come back as text; they are turned into the same
 * JSON shapes the DuckDB runner produces, by the column types Athena reports.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { GLUE_DATABASE_NAME } from '../../schemas/partitioning';
import { clientConfig } from '../aws-client-config';
import type { QueryColumn } from './result';

export interface AthenaTarget {
  readonly workgroup: string;
  /** @default 'ddb_audit' (GLUE_DATABASE_NAME) */
  readonly database?: string;
}

export interface AthenaDeps {
  readonly client?: AthenaClient;
  /** First poll delay; doubles up to 2 s. @default 200 */
  readonly pollIntervalMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface AthenaResult {
  readonly executionId: string;
  readonly columns: QueryColumn[];
  readonly rows: Record<string, unknown>[];
  readonly submittedAt?: Date;
  readonly completedAt?: Date;
}

export class AthenaQueryError extends Error {
  override name = 'AthenaQueryError';
}

/**
 * The Athena client of a command, configured like its other clients (cli/aws-client-config.ts):
 * the command's --region when it has one, else AWS_REGION / AWS_DEFAULT_REGION of the command's
 * environment, else the SDK's own chain (the profile's); AWS_ENDPOINT_URL_ATHENA when set. Every
 * --athena path builds its client here, so none of them silently queries another region's
 * workgroup and catalog.
 */
export function athenaClient(env: NodeJS.ProcessEnv, regionFlag?: string): AthenaClient {
  return new AthenaClient(clientConfig(env, 'ATHENA', regionFlag));
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runOnAthena(sql: string, target: AthenaTarget, deps: AthenaDeps = {}): Promise<AthenaResult> {
  const client = deps.client ?? athenaClient(process.env);
  const sleep = deps.sleep ?? sleepMs;
  const started = await client.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      WorkGroup: target.workgroup,
      QueryExecutionContext: { Database: target.database ?? GLUE_DATABASE_NAME },
    }),
  );
  const executionId = started.QueryExecutionId;
  if (!executionId) throw new AthenaQueryError('Athena returned no QueryExecutionId');

  let delay = deps.pollIntervalMs ?? 200;
  let status;
  for (;;) {
    const execution = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: executionId }));
    status = execution.QueryExecution?.Status;
    const state = status?.State;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') {
      throw new AthenaQueryError(`Athena query ${executionId} ${state}: ${status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given'}`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 2000);
  }

  let columns: QueryColumn[] = [];
  const rows: Record<string, unknown>[] = [];
  let nextToken: string | undefined;
  let firstPage = true;
  do {
    const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: executionId, NextToken: nextToken, MaxResults: 1000 }));
    if (firstPage) columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({ name: c.Name ?? '', type: c.Type ?? 'varchar' }));
    const data = page.ResultSet?.Rows ?? [];
    // A SELECT's first row of the first page repeats the column names.
    for (const [i, row] of data.entries()) {
      if (firstPage && i === 0) continue;
      const out: Record<string, unknown> = {};
      columns.forEach((column, c) => {
        out[column.name] = plainValue(row.Data?.[c]?.VarCharValue, column.type);
      });
      rows.push(out);
    }
    firstPage = false;
    nextToken = page.NextToken;
  } while (nextToken);

  return { executionId, columns, rows, submittedAt: status?.SubmissionDateTime, completedAt: status?.CompletionDateTime };
}

/** Athena's text values as the JSON shapes QueryResult documents. */
export function plainValue(text: string | undefined, type: string): unknown {
  if (text === undefined) return null;
  switch (type.toLowerCase()) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 'double':
    case 'float':
    case 'real':
      return Number(text);
    case 'boolean':
      return text === 'true';
    case 'timestamp': {
      // "2026-03-01 12:00:00.000" (UTC, Athena's session zone) -> ISO-8601 with Z
      const date = new Date(`${text.replace(' ', 'T')}Z`);
      return Number.isNaN(date.getTime()) ? text : date.toISOString();
    }
    default:
      return text;
  }
}
