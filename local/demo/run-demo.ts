/**
 * `npm start`: the whole pipeline on this machine, no AWS and no network. A generated workload
 * goes as Lambda stream events through the real collector handler into the local Firehose,
 * which writes Parquet; then every bundled query runs on it with DuckDB.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listQueryNames, loadQuery, runQuery } from '../../cli/query';
import { formatTable } from '../../cli/query/format';
import { startLocalPipeline } from '../pipeline';
import { HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';
import { writeCloudTrailFile } from '../cloudtrail/files';
import { demoCloudTrail, DEMO_PRINCIPALS, deliveryFiles } from './cloudtrail-workload';
import { heartbeatStreamArn } from './heartbeat';
import { AUDIT_ACCOUNT, demoSourceOptions, generateWorkload, LedgerEntry, REGION } from './workload';

export interface DemoOptions {
  readonly dataDir: string;
  readonly changes: number;
  readonly seed: number;
  /** Rows shown per query. */
  readonly showRows?: number;
  readonly write: (text: string) => void;
  /** How the data folder is written in suggested commands (relative to the user's cwd). */
  readonly dataArg: string;
}

export interface DemoSummary {
  readonly changes: number;
  readonly files: number;
  readonly parquetBytes: number;
  readonly seconds: number;
  readonly queries: Record<string, number>;
  /** change-attribution's rows per attribution value, and per reason of those not exact. */
  readonly attribution: { readonly byAttribution: Record<string, number>; readonly byReason: Record<string, number> };
}

/** The account whose orders-service role the demo's actor-activity example names. */
const DEMO_ROLE_ACCOUNT = '111122223333';

/** Share of the demo's changes a same-second repeat follows: what makes some callers ambiguous. */
export const DEMO_SAME_SECOND_REPEAT_RATE = 0.02;

const fmt = (n: number) => n.toLocaleString('en-US');

/** Parameters for each bundled query, chosen from what the workload wrote so every query has rows. */
export function demoParams(ledger: readonly LedgerEntry[]): Record<string, Record<string, string>> {
  const days = ledger.map((e) => e.dt).sort();
  const from = days[0] as string;
  const to = days[days.length - 1] as string;
  const perItem = new Map<string, LedgerEntry[]>();
  for (const entry of ledger) {
    const key = `${entry.accountId}|${entry.tableName}|${entry.itemKey}`;
    perItem.set(key, [...(perItem.get(key) ?? []), entry]);
  }
  // The item with the longest history, preferring the leading-zero account.
  const busiest = [...perItem.values()].sort((a, b) => b.length - a.length || (a[0] as LedgerEntry).accountId.localeCompare((b[0] as LedgerEntry).accountId))[0] as LedgerEntry[];
  const item = busiest[0] as LedgerEntry;
  return {
    'item-history': { from, to, account_id: item.accountId, table_name: item.tableName, item_key: item.itemKey },
    'item-versions': { from, to, account_id: item.accountId, table_name: item.tableName, item_key: item.itemKey },
    'table-changes': { from, to: from, account_id: item.accountId, table_name: item.tableName },
    deletes: { from, to },
    'attribute-history': { from, to, account_id: item.accountId, table_name: item.tableName, attribute: 'updatedBy' },
    'actor-activity': { from, to, actor: 'José.Núñez@example.com' },
    'daily-volume': { from, to },
    'changes-deduplicated': { from, to, account_id: item.accountId },
    'source-freshness': { from, to },
    'source-coverage': { from, to },
    'evidence-changes': { from, to, account_id: item.accountId, table_name: item.tableName },
    'change-attribution': { from, to, account_id: item.accountId },
  };
}

async function parquetFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.parquet')) out.push(path);
    }
  };
  await walk(dir);
  return out;
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@.:\/=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { write } = options;
  const showRows = options.showRows ?? 5;
  const started = Date.now();
  write(`ddb-audit demo: the whole pipeline on this machine (no AWS, no network)\n`);
  write(`  data folder: ${options.dataDir}\n\n`);

  write(`1/3 Local Firehose and the real collector handler\n`);
  const pipeline = await startLocalPipeline({ dataDir: options.dataDir, sourceOptions: demoSourceOptions() });
  write(`  local Firehose (and S3 for overflow) listening on ${pipeline.firehose.endpoint}\n\n`);

  // The heartbeat as deployed: an item every 5 simulated minutes, through the same collector.
  const heartbeat = { accountId: AUDIT_ACCOUNT, region: REGION };
  const workload = generateWorkload({ changes: options.changes, seed: options.seed, ledger: true, heartbeat, sameSecondRepeatRate: DEMO_SAME_SECOND_REPEAT_RATE });
  const heartbeatStream = heartbeatStreamArn(heartbeat);
  write(`2/3 Sending ${fmt(options.changes)} changes from 3 accounts and 7 tables as DynamoDB stream events\n`);
  let sent = 0;
  let failures = 0;
  let nextReport = options.changes / 4;
  try {
    for (const event of workload.events()) {
      const response = await pipeline.invoke(event);
      failures += response.batchItemFailures.length;
      if (event.Records[0]?.eventSourceARN === heartbeatStream) continue;
      sent += event.Records.length;
      if (sent >= nextReport || sent === options.changes) {
        write(`  ${fmt(sent).padStart(fmt(options.changes).length)} / ${fmt(options.changes)} changes sent (${Math.round((100 * sent) / options.changes)}%)\n`);
        while (nextReport <= sent) nextReport += options.changes / 4;
      }
    }
    write(`  flushing the Firehose buffers to Parquet...\n`);
    await pipeline.firehose.flush();
  } finally {
    await pipeline.close();
  }
  const stats = pipeline.firehose.stats();
  const { inserts, modifies, userDeletes, ttlExpiries } = workload.counts;
  write(`  ${fmt(inserts)} inserts, ${fmt(modifies)} updates, ${fmt(userDeletes)} user deletes, ${fmt(ttlExpiries)} TTL expiries\n`);
  write(`  and ${fmt(workload.counts.heartbeats)} heartbeats (table ${HEARTBEAT_TABLE_NAME} of audit account ${AUDIT_ACCOUNT}, one every 5 minutes): the queries leave them out unless --param include_heartbeat=true; source-freshness shows them\n`);
  write(`  Firehose: ${fmt(stats.calls)} PutRecordBatch calls, ${fmt(stats.recordsReceived)} records (packed), ${fmt(stats.rowsWritten)} rows in ${fmt(stats.files.length)} Parquet files`);
  write(`${stats.processingFailures + stats.conversionFailures > 0 ? `, ${stats.processingFailures + stats.conversionFailures} under errors/` : ''}${failures > 0 ? `, ${failures} batches reported failures` : ''}\n\n`);

  // CloudTrail data events of the calls that made those changes, in the trail's own layout.
  const trail = demoCloudTrail(workload.ledger, { seed: options.seed });
  const trailFiles = deliveryFiles(trail.records);
  for (const file of trailFiles) await writeCloudTrailFile(options.dataDir, file, file.records);
  write(`  CloudTrail: ${fmt(trail.records.length)} DynamoDB data events (${fmt(trail.failedCalls)} failed conditional writes) from ${DEMO_PRINCIPALS.length} principals in ${fmt(trailFiles.length)} log files under cloudtrail/AWSLogs/\n`);
  write(`  calls: ${Object.entries(countBy(trail.callers, (c) => c.operation)).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}\n\n`);

  const params = demoParams(workload.ledger);
  write(`3/3 Every bundled query (athena-queries/*.sql) on the local Parquet with DuckDB\n`);
  const queries: Record<string, number> = {};
  for (const name of listQueryNames()) {
    const given = params[name] ?? { from: params['daily-volume']?.from ?? '', to: params['daily-volume']?.to ?? '' };
    const result = await runQuery({ name, params: given, dataDir: options.dataDir });
    queries[name] = result.rows.length;
    const shownColumns = result.columns.slice(0, 7);
    const hidden = result.columns.length - shownColumns.length;
    write(`\n== ${name}: ${loadQuery(name).summary}\n`);
    write(`   ${Object.entries(given).map(([k, v]) => `${k}=${v}`).join('  ')}\n`);
    const table = formatTable(shownColumns, result.rows.slice(0, showRows), 26).split('\n');
    table.pop(); // the "(n rows)" line: replaced by the full count below
    table.pop();
    write(`${table.map((line) => `   ${line}`).join('\n')}\n`);
    write(`   (${fmt(result.rows.length)} row${result.rows.length === 1 ? '' : 's'}${result.rows.length > showRows ? `, first ${showRows} shown` : ''}${hidden > 0 ? `; ${hidden} more column${hidden === 1 ? '' : 's'}: --format json shows all` : ''})\n`);
  }

  // Attribution over every account (the table above shows one): counts per value and per reason.
  const attributed = await runQuery({ name: 'change-attribution', params: { from: params['daily-volume']?.from ?? '', to: params['daily-volume']?.to ?? '' }, dataDir: options.dataDir });
  const mine = new Set(workload.ledger.map((e) => e.eventId));
  const rows = attributed.rows.filter((r) => mine.has(String(r.event_id)));
  const byAttribution = countBy(rows, (r) => String(r.attribution));
  const byReason = countBy(rows.filter((r) => r.attribution !== 'exact'), (r) => `${r.attribution}: ${r.attribution_reason}`);
  const nonTtl = rows.filter((r) => r.attribution !== 'ttl').length;
  write(`\n== change-attribution, every account, this run's changes: ${Object.entries(byAttribution).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}\n`);
  write(`   exact: ${fmt(byAttribution.exact ?? 0)} of ${fmt(nonTtl)} non-TTL changes (${nonTtl === 0 ? 0 : ((100 * (byAttribution.exact ?? 0)) / nonTtl).toFixed(1)}%); the others, by reason:\n`);
  for (const [reason, count] of Object.entries(byReason).sort((a, b) => b[1] - a[1])) write(`     ${fmt(count).padStart(7)}  ${reason}\n`);

  // actor-activity by a caller rather than an attribute: a role ARN selects every session of it.
  const role = `arn:aws:iam::${DEMO_ROLE_ACCOUNT}:role/orders-service`;
  const days = { from: params['daily-volume']?.from ?? '', to: params['daily-volume']?.to ?? '' };
  const byRole = countBy((await runQuery({ name: 'actor-activity', params: { ...days, actor: role }, dataDir: options.dataDir })).rows, (r) => String(r.matched_by));
  const byName = countBy((await runQuery({ name: 'actor-activity', params: { ...days, actor: 'José.Núñez@example.com' }, dataDir: options.dataDir })).rows, (r) => String(r.matched_by));
  const sides = (counts: Record<string, number>) => ['attribute', 'principal', 'both'].map((k) => `${k} ${fmt(counts[k] ?? 0)}`).join(', ');
  write(`\n== actor-activity by attribute or CloudTrail caller (matched_by)\n`);
  write(`   actor=José.Núñez@example.com: ${sides(byName)}\n`);
  write(`   actor=${role} (every session of the role): ${sides(byRole)}\n`);
  write(`   (the demo's applications write e-mail addresses into updatedBy, never ARNs, so no change matches both ways)\n`);

  const files = await parquetFiles(join(options.dataDir, 'changes'));
  const runFiles = new Set(stats.files.map((f) => join(options.dataDir, f)));
  let parquetBytes = 0;
  for (const file of files) if (runFiles.has(file)) parquetBytes += (await stat(file)).size;
  const seconds = (Date.now() - started) / 1000;
  write(`\nSummary\n`);
  write(`  rows:     ${fmt(stats.rowsWritten)} written this run, ${fmt(workload.counts.heartbeats)} of them heartbeats (${fmt(files.length)} Parquet files in the folder, ${fmt(stats.files.length)} from this run)\n`);
  write(`  bytes:    ${fmt(parquetBytes)} bytes of Parquet from ${fmt(stats.bytesWritten)} bytes of change-record JSON\n`);
  write(`  time:     ${seconds.toFixed(1)} s\n`);
  const data = options.dataArg === './audit-data' ? '' : ` --data ${shellQuote(options.dataArg)}`;
  const ih = params['item-history'] as Record<string, string>;
  write(`\nTry next\n`);
  write(`  npx ddb-audit query --list\n`);
  write(`  npx ddb-audit query item-history${data} ${Object.entries(ih).map(([k, v]) => `--param ${shellQuote(`${k}=${v}`)}`).join(' ')}\n`);
  write(`  npx ddb-audit query deletes${data} --param from=${ih.from} --param to=${ih.to} --format csv\n`);
  write(`  npx ddb-audit query daily-volume${data} --param from=${ih.from} --param to=${ih.to} --format json\n`);
  write(`  npx ddb-audit query actor-activity${data} --param from=${ih.from} --param to=${ih.to} --param actor=${role}   (what a role changed, every session)\n`);
  write(`  npx ddb-audit query change-attribution${data} --param from=${ih.from} --param to=${ih.to} --param account_id=${ih.account_id} --format json   (who made each change: docs/attribution.md)\n`);
  write(`  ls ${shellQuote(options.dataArg)}/changes/*/*/*/\n`);
  write(`  npm start again: a second run adds new changes beside the first, never over them.\n`);
  // Rows written less the heartbeats: the changes of the workload (duplicate deliveries included).
  return { changes: stats.rowsWritten - workload.counts.heartbeats, files: stats.files.length, parquetBytes, seconds, queries, attribution: { byAttribution, byReason } };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
