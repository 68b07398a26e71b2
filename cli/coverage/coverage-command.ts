/**
 * What `ddb-audit coverage` does (bin/commands/coverage.ts defines its options):
 * `ddb-audit coverage --from DATE --to DATE [--data DIR | --athena --workgroup WG [--database DB]]
 *    [--cdk-json PATH | --no-config] [--watch-state FILE_OR_S3_URI] [--failures DIR] [--format table|json]
 *    [--html FILE]`
 *
 * One row per source for the period: what the log holds of it (the bundled query source-coverage),
 * the watch's current stream status (its state object: `<data>/watch/state.json` locally by default,
 * or s3://BUCKET/watch/state.json in AWS) and failure batches not yet replayed (--failures: a folder
 * of the failure bucket's objects, e.g. from `aws s3 sync`; a batch counts as replayed when every
 * one of its changes is in the log). The onboarded list comes from cdk.json, so a source with no row
 * at all is shown, not left out. `evidence export --query source-coverage` signs the log's part.
 * --html FILE also writes the report as a self-contained page (report-html.ts), atomically (a temp
 * file renamed over FILE), and only once everything was read: a refusal or a failed query leaves
 * no file. Standard output is the same table or JSON with or without it.
 *
 * Exit status: 0 report printed; 1 a query failed in Athena; 2 bad arguments or unreadable input
 * (a missing data folder, watch state or failures folder is an error, never an empty report).
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseWatchState, WATCH_STATE_KEY, type WatchState } from '../../lambda/watch/watch-state';
import { buildCoverage, COVERAGE_QUERY, renderCoverage } from './report';
import { renderCoverageHtml } from './report-html';
import { coverageVerdict } from './verdict';
import { writeFileAtomic } from '../config-file/atomic-write';
import { toolInfo } from '../evidence/tool-info';
import { AthenaQueryError, athenaClient, QueryParamError, runQuery } from '../query';
import { openLocalConnection } from '../query/duckdb-engine';
import { parseFailureRecords, type FailedBatch } from '../replay/failure-records';
import { escapeForTerminal } from '../terminal-text';
import { CONTEXT_KEY, readCdkJson } from '../../lib/config/load';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';

export const DEFAULT_DATA_DIR = './audit-data';

export { COVERAGE_QUERY };

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

async function readWatchState(location: string, io: CommandIo): Promise<WatchState> {
  let text: string;
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (s3) {
    const out = await new S3Client({}).send(new GetObjectCommand({ Bucket: s3[1], Key: s3[2] }));
    text = (await out.Body?.transformToString()) ?? '';
  } else {
    const path = resolve(io.cwd, location);
    if (!existsSync(path)) throw new UsageError(`--watch-state ${location}: no such file`);
    text = readFileSync(path, 'utf8');
  }
  const state = parseWatchState(text, new Date(0).toISOString());
  if (Object.keys(state.sources).length === 0 && state.updatedAt === new Date(0).toISOString()) throw new UsageError(`--watch-state ${location}: not a watch state (version 1 JSON with "sources")`);
  return state;
}

/** Event IDs of the failure batches that the log already holds (the batch was replayed). */
async function eventIdsInLog(dataDir: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const connection = await openLocalConnection(dataDir);
  try {
    const list = ids.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ');
    const reader = await connection.runAndReadAll(`SELECT DISTINCT event_id FROM audit_changes WHERE event_id IN (${list})`);
    return new Set(reader.getRowObjectsJS().map((r) => String(r.event_id)));
  } finally {
    connection.closeSync();
  }
}

function eventIdOf(record: unknown): string | null {
  const id = (record as { eventID?: unknown } | null)?.eventID;
  return typeof id === 'string' ? id : null;
}

export interface CoverageOptions {
  readonly from?: string;
  readonly to?: string;
  readonly data?: string;
  readonly athena?: boolean;
  readonly workgroup?: string;
  readonly database?: string;
  readonly cdkJson?: string;
  /** false when --no-config was given (commander's negated option). */
  readonly config?: boolean;
  readonly watchState?: string;
  readonly failures?: string;
  readonly format?: string;
  /** Also write the report as a self-contained HTML page to this file. */
  readonly html?: string;
}

/** The --html target, checked before any work: its folder must exist and it must not be a folder. */
function htmlTarget(file: string, io: CommandIo): string {
  const path = resolve(io.cwd, file);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`--html ${file}: is a folder; give the page's file name, e.g. ${join(file, 'coverage.html')}`);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--html ${file}: no such folder ${dir}`);
  return path;
}

export async function coverageCommand(values: CoverageOptions, io: CommandIo): Promise<number> {
  try {
    if (!values.from || !values.to) throw new UsageError('coverage needs --from DATE and --to DATE (yyyy-MM-dd, UTC, inclusive)');
    const format = values.format ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError(`--format "${format}" is not one of table, json`);
    if (values.athena && !values.workgroup) throw new UsageError('--athena needs --workgroup WG');
    if (values.athena && values.data) throw new UsageError('--data and --athena are exclusive: local data or Athena');
    if (values.athena && values.failures) throw new UsageError('--failures reads a local folder and checks it against local --data; with --athena, sync the failure bucket and the log locally, or run ddb-audit replay --dry-run');
    if ((values.config === false) && values.cdkJson) throw new UsageError('--cdk-json and --no-config are exclusive');
    const htmlPath = values.html === undefined ? null : htmlTarget(values.html, io);

    const dataDir = values.athena ? null : resolve(io.cwd, values.data ?? DEFAULT_DATA_DIR);
    if (dataDir !== null && !existsSync(dataDir)) throw new UsageError(`--data ${dataDir}: no such folder (run the pipeline or ddb-audit demo first)`);

    let onboarded: string[] = [];
    let onboardedFrom: string | null = null;
    if (!(values.config === false)) {
      const path = resolve(io.cwd, values.cdkJson ?? io.env.DDB_AUDIT_CDK_JSON ?? 'cdk.json');
      onboardedFrom = path;
      if (!existsSync(path)) throw new UsageError(`${path}: no such file (pass --cdk-json PATH, or --no-config to report only what the log holds)`);
      const sources = readCdkJson(path).context?.[CONTEXT_KEY]?.sources;
      onboarded = Array.isArray(sources) ? sources.map((s: { streamArn?: unknown }) => String(s?.streamArn)) : [];
    }

    const stateLocation = values.watchState ?? (dataDir !== null && existsSync(join(dataDir, WATCH_STATE_KEY)) ? join(dataDir, WATCH_STATE_KEY) : undefined);
    const watchState = stateLocation ? await readWatchState(stateLocation, io) : null;

    const params = { from: values.from, to: values.to };
    const result = values.athena
      ? await runQuery({ name: COVERAGE_QUERY, params, athena: { workgroup: values.workgroup as string, database: values.database } }, { athena: { client: athenaClient(io.env) } })
      : await runQuery({ name: COVERAGE_QUERY, params, dataDir: dataDir as string });

    let failures: { batches: FailedBatch[]; replayed: (b: FailedBatch) => boolean } | null = null;
    if (values.failures) {
      const dir = resolve(io.cwd, values.failures);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--failures ${values.failures}: no such folder`);
      const batches = files(dir).flatMap((file) => parseFailureRecords(readFileSync(file, 'utf8'), file));
      const ids = batches.flatMap((b) => b.records.map(eventIdOf).filter((id): id is string => id !== null));
      const present = await eventIdsInLog(dataDir as string, ids);
      // A batch whose records carry no event ID cannot be shown replayed: it counts as not replayed.
      failures = { batches, replayed: (b) => b.records.length > 0 && b.records.every((r) => { const id = eventIdOf(r); return id !== null && present.has(id); }) };
    }

    const rows = buildCoverage(result.rows, onboarded, watchState, failures);
    if (rows.length === 0) throw new UsageError(`no sources: cdk.json lists none and the log has no rows from ${values.from} to ${values.to}`);
    if (htmlPath !== null) {
      const page = renderCoverageHtml(rows, {
        period: params,
        createdAt: new Date().toISOString(),
        tool: await toolInfo(),
        logSource: values.athena ? `Athena, workgroup ${values.workgroup}${values.database ? `, database ${values.database}` : ''}` : `DuckDB over ${dataDir}`,
        onboardedFrom,
        watchState: stateLocation && watchState ? { location: stateLocation, updatedAt: watchState.updatedAt } : null,
        failures: values.failures ? resolve(io.cwd, values.failures) : null,
      });
      // Synchronous from temp file to rename: a Ctrl-C is handled only after it, so no temp file is left (cli/program/interrupt.ts).
      writeFileAtomic(htmlPath, page);
    }
    io.stdout(format === 'json' ? rows.map((r) => `${JSON.stringify(r)}\n`).join('') : renderCoverage(rows.map((r) => ({ ...r, tableName: escapeForTerminal(r.tableName) })), params));
    if (htmlPath !== null) io.stderr(`wrote the report page ${escapeForTerminal(htmlPath)}: ${coverageVerdict(rows).headline}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof QueryParamError || (err as Error).name === 'FailureRecordError') {
      io.stderr(`ddb-audit coverage: ${escapeForTerminal((err as Error).message)}\n`);
      return 2;
    }
    if (err instanceof AthenaQueryError) {
      io.stderr(`ddb-audit coverage: ${escapeForTerminal(err.message)}\n`);
      return 1;
    }
    throw err;
  }
}
