/**
 * `ddb-audit query NAME [--param key=value ...] [--data DIR] [--format table|csv|json]
 *                       [--athena --workgroup WG [--database DB]]`
 * Runs one bundled query (athena-queries/NAME.sql) locally with DuckDB, or on Athena.
 * `ddb-audit query --list` lists the queries and their parameters.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AthenaQueryError, listQueryNames, loadQuery, QueryParamError, runQuery, UnknownQueryError } from '../../cli/query';
import { formatResult, OutputFormat } from '../../cli/query/format';
import { parseParams } from './args';
import { escapeForTerminal } from '../../cli/terminal-text';
import { CommandIo, UsageError } from './io';

export const DEFAULT_DATA_DIR = './audit-data';
const FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json'];

function listing(): string {
  return listQueryNames()
    .map((name) => {
      const q = loadQuery(name);
      const params = q.params.map((p) => (p.optional ? `[${p.name}]` : p.name)).join(' ');
      return `${name.padEnd(22)} ${q.summary}\n${''.padEnd(22)} parameters: ${params}`;
    })
    .join('\n');
}

export async function run(args: string[], io: CommandIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        param: { type: 'string', multiple: true, short: 'p' },
        data: { type: 'string' },
        format: { type: 'string' },
        athena: { type: 'boolean' },
        workgroup: { type: 'string' },
        database: { type: 'string' },
        list: { type: 'boolean' },
      },
    });
    if (values.list) {
      io.stdout(`${listing()}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'query: missing query NAME (ddb-audit query --list shows them)' : `query: expected one NAME, got ${positionals.join(' ')}`);
    const name = positionals[0] as string;
    const format = (values.format ?? 'table') as OutputFormat;
    if (!FORMATS.includes(format)) throw new UsageError(`--format "${values.format}" is not one of ${FORMATS.join(', ')}`);
    const params = parseParams(values.param ?? []);
    if (values.athena && !values.workgroup) throw new UsageError('--athena needs --workgroup WG');
    if (!values.athena && (values.workgroup || values.database)) throw new UsageError('--workgroup and --database go with --athena');
    if (values.athena && values.data) throw new UsageError('--data and --athena are exclusive: local data or Athena');

    const result = values.athena
      ? await runQuery({ name, params, athena: { workgroup: values.workgroup as string, database: values.database } })
      : await runQuery({ name, params, dataDir: resolve(io.cwd, values.data ?? DEFAULT_DATA_DIR) });
    io.stdout(formatResult(format, result.columns, result.rows));
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof UnknownQueryError || err instanceof QueryParamError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
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
