/**
 * `ddb-audit replay --from FILE_OR_S3_URI [--dry-run]`: re-delivers the changes of batches the
 * event source mapping discarded, from its S3 on-failure records, through the collector's own
 * normalizer and Firehose sink. Re-running it is harmless: replayed records keep their event_id
 * and record_hash, so they are duplicates that de-duplication on event_id absorbs.
 *
 * --from           a failure file, a folder of them, or s3://BUCKET/PREFIX (every object under it)
 * --dry-run        print the change records that would be sent (NDJSON on stdout), send nothing
 * --delivery-stream, --packing, --overflow-bucket, --overflow-prefix
 *                  default to the collector's variables DELIVERY_STREAM_NAME, PACKING,
 *                  OVERFLOW_BUCKET, OVERFLOW_PREFIX
 * --cdk-json PATH  per-source options (actor attribute, redaction) from this config; without it,
 *                  SOURCE_OPTIONS as the collector has it, else ./cdk.json; with none of them the
 *                  command refuses (a replay without redaction would leak what the log withholds)
 * --no-config      replay without per-source options (no redaction), with a warning on stderr
 * --json           the report as one JSON object (on stderr with --dry-run, whose stdout is the records)
 * Endpoints: AWS_ENDPOINT_URL_FIREHOSE / AWS_ENDPOINT_URL_S3 (the local pipeline's) when set.
 *
 * Exit 0 when every record was re-delivered; 1 when some were not (or a source could not be
 * read), with the report saying which; 2 for bad arguments or nothing to read.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { parseSourceOptions, readCollectorEnvironment } from '../../lambda/core/collector-environment';
import { silentLogger } from '../../lambda/core/logger';
import { changeRecordLine } from '../../lambda/core/packing';
import { collectorSourceOptions, loadAuditConfig } from '../../lib/config/load';
import { replaySource, ReplayDependencies, SourceReport, totals } from '../../cli/replay/replay';
import { failureSources, parseS3Uri, ReplaySourceError } from '../../cli/replay/sources';
import { CommandIo, UsageError } from './io';
import { noConfigWarning } from './normalize';

const OPTIONS = {
  from: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'delivery-stream': { type: 'string' },
  packing: { type: 'string' },
  'overflow-bucket': { type: 'string' },
  'overflow-prefix': { type: 'string' },
  'cdk-json': { type: 'string' },
  'no-config': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export async function run(args: string[], io: CommandIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (the failure records go in --from)`);
    const from = values.from;
    if (from === undefined || from === '') throw new UsageError('--from FILE_OR_S3_URI is required (a failure file, a folder, or s3://BUCKET/PREFIX)');
    if (from.startsWith('s3://')) parseS3Uri(from);
    else if (!existsSync(resolve(io.cwd, from))) throw new UsageError(`cannot read ${from}: no such file or folder`);
    const dryRun = values['dry-run'] === true;
    const sourceOptions = loadSourceOptions(values['cdk-json'], values['no-config'] === true, io);

    const s3 = new S3Client(clientConfig(io.env, 'S3'));
    const deps: ReplayDependencies = { sourceOptions, logger: silentLogger, ...(dryRun ? { onRecords: (records) => io.stdout(records.map(changeRecordLine).join('')) } : { delivery: deliveryFor(values, io.env, s3) }) };

    const reports: SourceReport[] = [];
    const say = dryRun ? io.stderr : io.stdout;
    for await (const source of failureSources(from, io.cwd, () => s3)) {
      const report = await replaySource(source, deps);
      reports.push(report);
      if (!values.json) say(`${describe(report, dryRun)}\n`);
    }
    const sum = totals(reports);
    if (values.json) say(`${JSON.stringify({ dry_run: dryRun, sources: reports, totals: sum })}\n`);
    else say(`${dryRun ? 'dry run: would re-deliver' : 'replayed'} ${count(sum.read, 'record')} from ${count(sum.failureRecords, 'failure record')} in ${count(sum.sources, 'file')}: ${dryRun ? '' : `${sum.redelivered} re-delivered, ${sum.failed} failed, `}${count(sum.normalizationErrors, 'error record')}${sum.unreadable > 0 ? `, ${sum.unreadable} unreadable` : ''}\n`);
    if (sum.failed > 0 && !values.json) io.stderr('ddb-audit replay: some records were not delivered; run the same command again (re-delivery is harmless)\n');
    return sum.failed > 0 || sum.unreadable > 0 ? 1 : 0;
  } catch (err) {
    io.stderr(`ddb-audit replay: ${(err as Error).message}\n`);
    return err instanceof UsageError || err instanceof ReplaySourceError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}

function describe(report: SourceReport, dryRun: boolean): string {
  if (report.error !== undefined) return `not replayed: ${report.error}`;
  const errors = report.normalizationErrors > 0 ? ` (${report.normalizationErrors} as error records)` : '';
  const head = `${report.source}: ${count(report.failureRecords, 'failure record')}, ${count(report.read, 'record')} read`;
  if (dryRun) return `${head}, would re-deliver ${report.read}${errors}`;
  return `${head}, ${report.redelivered} re-delivered, ${report.failed} failed${errors}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** The collector's own environment reading, with flags taking precedence: same names, same checks. */
function deliveryFor(values: Values, env: NodeJS.ProcessEnv, s3: S3Client): NonNullable<ReplayDependencies['delivery']> {
  const merged: NodeJS.ProcessEnv = {
    ...env,
    ...(values['delivery-stream'] !== undefined ? { DELIVERY_STREAM_NAME: values['delivery-stream'] } : {}),
    ...(values.packing !== undefined ? { PACKING: values.packing } : {}),
    ...(values['overflow-bucket'] !== undefined ? { OVERFLOW_BUCKET: values['overflow-bucket'] } : {}),
    ...(values['overflow-prefix'] !== undefined ? { OVERFLOW_PREFIX: values['overflow-prefix'] } : {}),
    SOURCE_OPTIONS: undefined,
  };
  let config;
  try {
    config = readCollectorEnvironment(merged);
  } catch (err) {
    const hint: Record<string, string> = { DELIVERY_STREAM_NAME: '--delivery-stream', OVERFLOW_BUCKET: '--overflow-bucket', PACKING: '--packing', OVERFLOW_PREFIX: '--overflow-prefix' };
    const message = (err as Error).message.replace(/environment variable (\w+)/, (all, name: string) => (hint[name] ? `${hint[name]} (or ${all})` : all));
    throw new UsageError(message);
  }
  return {
    clients: { firehose: new FirehoseClient(clientConfig(env, 'FIREHOSE')), s3 },
    sink: { deliveryStreamName: config.deliveryStreamName, packing: config.packing, overflowBucket: config.overflowBucket, overflowPrefix: config.overflowPrefix },
  };
}

function clientConfig(env: NodeJS.ProcessEnv, service: 'FIREHOSE' | 'S3'): { endpoint?: string; region?: string; forcePathStyle?: boolean } {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    // A custom S3 endpoint (the local pipeline's) serves buckets by path, as in the collector.
    ...(service === 'S3' && endpoint ? { forcePathStyle: true } : {}),
  };
}

// Replayed records must be redacted exactly as the collector redacts, or a replay would leak what a
// source redacts and change record_hash; so a config that is present must also be valid.
// Without any config the command refuses, unless --no-config says to go on without redaction.
function loadSourceOptions(cdkJson: string | undefined, noConfig: boolean, io: CommandIo): CollectorSourceOptionsByTable {
  if (noConfig && cdkJson !== undefined) throw new UsageError('--cdk-json and --no-config are exclusive: name the config, or say there is none');
  if (noConfig) {
    io.stderr(noConfigWarning('replay'));
    return {};
  }
  if (cdkJson !== undefined) return collectorSourceOptions(loadAuditConfig(resolve(io.cwd, cdkJson)));
  if (io.env.SOURCE_OPTIONS !== undefined && io.env.SOURCE_OPTIONS !== '') return parseSourceOptions(io.env.SOURCE_OPTIONS);
  const local = resolve(io.cwd, 'cdk.json');
  if (!existsSync(local)) {
    throw new UsageError(`no config: ${local} does not exist and SOURCE_OPTIONS is not set, and redaction and actor attributes come from them; pass --cdk-json PATH, or --no-config to replay without redaction`);
  }
  return collectorSourceOptions(loadAuditConfig(local));
}
