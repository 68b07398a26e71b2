/**
 * What `ddb-audit replay --from FILE_OR_S3_URI [--dry-run]` does (bin/commands/replay.ts defines its
 * options): re-delivers the changes of batches the
 * event source mapping discarded, from its S3 on-failure records, through the collector's own
 * normalizer and Firehose sink. Re-running it is harmless: replayed records keep their event_id
 * and record_hash, so they are duplicates that de-duplication on event_id absorbs.
 *
 * --from           a failure file, a folder of them, or s3://BUCKET/PREFIX (every object under it)
 * --dry-run        print the change records that would be sent (NDJSON on stdout), send nothing
 * --delivery-stream, --packing, --overflow-bucket, --overflow-prefix
 *                  default to the deployment's stack outputs when --stack-outputs or --from-stack
 *                  is given, else to the collector's variables DELIVERY_STREAM_NAME, PACKING,
 *                  OVERFLOW_BUCKET, OVERFLOW_PREFIX (see cli/replay/delivery-settings.ts)
 * --stack-outputs FILE  the audit stack's outputs: the file `cdk deploy --outputs-file` writes, or the
 *                  JSON of `aws cloudformation describe-stacks --stack-name DdbAuditCollector`
 * --from-stack     the same, read from CloudFormation (DescribeStacks of DdbAuditCollector)
 * --region         region of the clients (default: AWS_REGION, then the profile's)
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
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { parseSourceOptions } from '../../lambda/core/collector-environment';
import { silentLogger } from '../../lambda/core/logger';
import { changeRecordLine } from '../../lambda/core/packing';
import { collectorSourceOptions, loadAuditConfig } from '../../lib/config/load';
import { replaySource, ReplayDependencies, SourceReport, totals } from './replay';
import { failureSources, parseS3Uri, ReplaySourceError } from './sources';
import { replaySinkSettings, ReplaySettingsError } from './delivery-settings';
import { AuditDeployment, auditDeployment, readStackOutputsFile, readStackOutputsFromCloudFormation, StackOutputsError } from '../deployment/stack-outputs';
import { AUDIT_STACK_NAME } from '../../lib/stack-names';
import { clientConfig } from '../aws-client-config';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';
import { noConfigWarning } from '../normalize/normalize-command';

export interface ReplayOptions {
  readonly from?: string;
  readonly dryRun?: boolean;
  readonly deliveryStream?: string;
  readonly packing?: string;
  readonly overflowBucket?: string;
  readonly overflowPrefix?: string;
  readonly cdkJson?: string;
  /** false when --no-config was given (commander's negated option). */
  readonly config?: boolean;
  readonly stackOutputs?: string;
  readonly fromStack?: boolean;
  readonly region?: string;
  readonly json?: boolean;
}

export async function replayCommand(values: ReplayOptions, io: CommandIo): Promise<number> {
  try {
    const from = values.from;
    if (from === undefined || from === '') throw new UsageError('--from FILE_OR_S3_URI is required (a failure file, a folder, or s3://BUCKET/PREFIX)');
    if (from.startsWith('s3://')) parseS3Uri(from);
    else if (!existsSync(resolve(io.cwd, from))) throw new UsageError(`cannot read ${from}: no such file or folder`);
    const dryRun = values.dryRun === true;
    if (values.stackOutputs !== undefined && values.fromStack) throw new UsageError('--stack-outputs and --from-stack are exclusive: a file of the outputs, or CloudFormation');
    const sourceOptions = loadSourceOptions(values.cdkJson, values.config === false, io);

    const s3 = new S3Client(clientConfig(io.env, 'S3', values.region));
    const deps: ReplayDependencies = { sourceOptions, logger: silentLogger, ...(dryRun ? { onRecords: (records) => io.stdout(records.map(changeRecordLine).join('')) } : { delivery: await deliveryFor(values, io, s3) }) };

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
    return err instanceof UsageError || err instanceof ReplaySourceError || err instanceof ReplaySettingsError || err instanceof StackOutputsError ? 2 : 1;
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

/** The delivery options replay (and backfill) share. */
export type DeliveryOptions = Pick<ReplayOptions, 'deliveryStream' | 'packing' | 'overflowBucket' | 'overflowPrefix' | 'stackOutputs' | 'fromStack' | 'region'>;
type Values = DeliveryOptions;

/** Flags, then the deployment's outputs when asked for, then the collector's variables (cli/replay/delivery-settings.ts). */
export async function deliveryFor(values: Values, io: CommandIo, s3: S3Client): Promise<NonNullable<ReplayDependencies['delivery']>> {
  const deployment = await deploymentFor(values, io);
  const sink = replaySinkSettings(
    { deliveryStream: values.deliveryStream, packing: values.packing, overflowBucket: values.overflowBucket, overflowPrefix: values.overflowPrefix },
    io.env,
    deployment?.value,
    deployment?.source,
  );
  return { clients: { firehose: new FirehoseClient(clientConfig(io.env, 'FIREHOSE', values.region)), s3 }, sink };
}

async function deploymentFor(values: Values, io: CommandIo): Promise<{ value: AuditDeployment; source: string } | undefined> {
  const file = values.stackOutputs;
  if (file !== undefined) return { value: auditDeployment(readStackOutputsFile(resolve(io.cwd, file), file)), source: file };
  if (!values.fromStack) return undefined;
  const cloudFormation = new CloudFormationClient(clientConfig(io.env, 'CLOUDFORMATION', values.region));
  return { value: auditDeployment(await readStackOutputsFromCloudFormation(cloudFormation)), source: `the outputs of stack ${AUDIT_STACK_NAME}` };
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
