/**
 * What `ddb-audit query` does once its arguments are parsed (bin/commands/query.ts defines them):
 * checks the combination, refuses a data folder without a change log, runs the query locally with
 * DuckDB or on Athena, and prints the result in the format asked for.
 */
import { resolve } from 'node:path';
import { AthenaQueryError, athenaClient, QueryParamError, runQuery, UnknownQueryError } from '.';
import { assertHoldsChangeLog } from './change-log-folder';
import { formatResult, OutputFormat } from './format';
import { formatQueryListing } from './listing';
import { parseParams } from '../program/params';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';
import { outputStyle } from '../program/output-style';
import { escapeForTerminal } from '../terminal-text';

export const DEFAULT_DATA_DIR = './audit-data';
export const QUERY_FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json'];

export interface QueryCommandOptions {
  readonly param?: readonly string[];
  readonly data?: string;
  readonly format?: string;
  readonly athena?: boolean;
  readonly workgroup?: string;
  readonly database?: string;
  readonly list?: boolean;
}

export async function queryCommand(name: string | undefined, options: QueryCommandOptions, io: CommandIo): Promise<number> {
  try {
    const format = (options.format ?? 'table') as OutputFormat;
    if (!QUERY_FORMATS.includes(format)) throw new UsageError(`--format "${options.format}" is not one of ${QUERY_FORMATS.join(', ')}`);
    if (options.list) {
      if (name !== undefined) throw new UsageError(`--list takes no query NAME (got ${name})`);
      io.stdout(formatQueryListing(format));
      return 0;
    }
    if (name === undefined) throw new UsageError('missing query NAME (ddb-audit query --list shows them)');
    const params = parseParams(options.param ?? []);
    if (options.athena && !options.workgroup) throw new UsageError('--athena needs --workgroup WG');
    if (!options.athena && (options.workgroup || options.database)) throw new UsageError('--workgroup and --database go with --athena');
    if (options.athena && options.data) throw new UsageError('--data and --athena are exclusive: local data or Athena');

    let result;
    if (options.athena) {
      result = await runQuery({ name, params, athena: { workgroup: options.workgroup as string, database: options.database } }, { athena: { client: athenaClient(io.env) } });
    } else {
      const dataDir = resolve(io.cwd, options.data ?? DEFAULT_DATA_DIR);
      await assertHoldsChangeLog(dataDir);
      result = await runQuery({ name, params, dataDir });
    }
    io.stdout(formatResult(format, result.columns, result.rows, outputStyle(io)));
    for (const warning of result.warnings ?? []) io.stderr(`ddb-audit query: warning: ${escapeForTerminal(warning)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof UnknownQueryError || err instanceof QueryParamError) {
      io.stderr(`ddb-audit query: ${escapeForTerminal((err as Error).message)}\n`);
      return 2;
    }
    if (err instanceof AthenaQueryError) {
      // Athena's reason can quote the query's parameters, which can come from the log.
      io.stderr(`ddb-audit query: ${escapeForTerminal(err.message)}\n`);
      return 1;
    }
    throw err;
  }
}
