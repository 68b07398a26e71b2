/**
 * What `ddb-audit backfill` does (bin/commands/backfill.ts defines its options):
 * `ddb-audit backfill --export FOLDER_OR_S3_URI --key-attributes PK[,SK]`: a baseline of the items a
 * table held at a DynamoDB full export's time, as snapshot rows (op r, event_name SNAPSHOT), through
 * the collector's normalizer and Firehose sink (docs/completeness.md, "Backfill").
 *
 * --export          the export's folder (holding manifest-summary.json) or its parent, local or s3://BUCKET/PREFIX
 * --key-attributes  the table's partition key and sort key names (an export line does not say which they are)
 * --gap-id ID       the gap this baseline fills: recorded in snapshot_source.gap_id, and once every
 *                   item is delivered, the gap's 'filled' row (op g) is sent through the same sink
 *                   (cli/backfill/gap-fill.ts); the gap's rows are read from the log, given by
 * --data DIR        the change log's local folder (as for `ddb-audit coverage --data`), or
 * --athena --workgroup WG [--database DB]   the log in Athena
 * --dry-run         verify the export and print the records (NDJSON on stdout; the filled gap row
 *                   last), send nothing
 * --checkpoint FILE where delivered lines are recorded, and a re-run resumes from
 *                   (default ./.ddb-audit-backfill-<ExportId>.json)
 * --delivery-stream, --packing, --overflow-bucket, --overflow-prefix, --stack-outputs, --from-stack,
 * --region          where to deliver, exactly as for `ddb-audit replay`; also the region of --athena
 * --cdk-json PATH   per-source options (redaction) from this config, and the export's table must be
 *                   one of its sources; without it, SOURCE_OPTIONS, else ./cdk.json; with none the
 *                   command refuses (a backfill without redaction would leak what the log withholds)
 * --no-config       backfill without per-source options (no redaction), with a warning on stderr
 * --json            the report as one JSON object (on stderr with --dry-run)
 * Endpoints: AWS_ENDPOINT_URL_FIREHOSE / AWS_ENDPOINT_URL_S3 when set.
 *
 * Exit 0 when every item (and the filled gap row) was delivered (or printed); 1 when some were not
 * (run it again: it resumes);
 * 2 for bad arguments or an export that is refused (nothing of it sent).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CollectorSourceOptionsByTable } from '../../schemas/audit-config';
import { parseSourceOptions } from '../../lambda/core/collector-environment';
import { deliverChangeRecords } from '../../lambda/core/firehose-sink';
import { MinimalLogger, silentLogger } from '../../lambda/core/logger';
import { changeRecordLine } from '../../lambda/core/packing';
import { collectorSourceOptions, loadAuditConfig, resolveSources } from '../../lib/config/load';
import { backfill, BackfillReport, checkGapId } from './backfill';
import { CheckpointError } from './checkpoint';
import { ExportReadError, ExportStore, localExportStore, s3ExportStore } from './export-store';
import { ExportRefusedError } from './manifest';
import { logGapLookup, type GapLogTarget } from './gap-fill';
import { QueryParamError } from '../query';
import { ReplaySettingsError } from '../replay/delivery-settings';
import { StackOutputsError } from '../deployment/stack-outputs';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';
import { noConfigWarning } from '../normalize/normalize-command';
import { deliveryFor } from '../replay/replay-command';
import { clientConfig } from '../aws-client-config';
import { athenaClient } from '../query/athena-engine';

export interface BackfillOptions {
  readonly export?: string;
  readonly keyAttributes?: string;
  readonly gapId?: string;
  readonly data?: string;
  readonly athena?: boolean;
  readonly workgroup?: string;
  readonly database?: string;
  readonly dryRun?: boolean;
  readonly checkpoint?: string;
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

export async function backfillCommand(values: BackfillOptions, io: CommandIo): Promise<number> {
  try {
    const from = values.export;
    if (from === undefined || from === '') throw new UsageError('--export FOLDER_OR_S3_URI is required (the folder of a DynamoDB full export, or s3://BUCKET/PREFIX)');
    const keyAttributes = (values.keyAttributes ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '');
    if (keyAttributes.length < 1 || keyAttributes.length > 2) throw new UsageError('--key-attributes PK[,SK] is required: the table\'s partition key name, and its sort key name if it has one');
    const dryRun = values.dryRun === true;
    if (values.stackOutputs !== undefined && values.fromStack) throw new UsageError('--stack-outputs and --from-stack are exclusive: a file of the outputs, or CloudFormation');
    if (dryRun && values.checkpoint !== undefined) throw new UsageError('--checkpoint has no use with --dry-run, which sends nothing');
    const gapLog = gapLogTarget(values, io);
    const config = loadConfig(values.cdkJson, values.config === false, io);

    const s3 = new S3Client(clientConfig(io.env, 'S3', values.region));
    const store: ExportStore = from.startsWith('s3://') ? s3ExportStore(from, s3) : localExportStore(from, io.cwd);
    const delivery = dryRun ? undefined : await deliveryFor(values, io, s3);
    const progress = io.stderrIsTTY === true && !values.json;
    // The sink's first warning or error (with Firehose's or S3's code and message), kept for the report:
    // a failed delivery must say why, and the sink's log is not visible here.
    let firstProblem: string | undefined;
    const keep = (message: string, extra?: Record<string, unknown>) => {
      const detail = [extra?.error_code, extra?.error_message].filter((x) => typeof x === 'string' && x !== '');
      firstProblem ??= detail.length > 0 ? `${message}: ${detail.join('; ')}` : message;
    };
    const logger: MinimalLogger = { ...silentLogger, warn: (message, ...extra) => keep(message, extra[0]), error: (message, ...extra) => keep(message, extra[0]) };
    const report = await backfill(store, {
      sourceOptions: config.sourceOptions,
      keyAttributes,
      ...(values.gapId !== undefined ? { gapId: values.gapId } : {}),
      ...(gapLog !== undefined ? { gapLookup: logGapLookup(gapLog, undefined, 'athena' in gapLog ? { client: athenaClient(io.env, values.region) } : undefined) } : {}),
      ...(config.onboardedTables !== undefined ? { onboardedTables: config.onboardedTables } : {}),
      ...(dryRun ? { onRecords: (records) => io.stdout(records.map(changeRecordLine).join('')) } : {}),
      ...(delivery !== undefined
        ? {
            deliver: async (records) => (await deliverChangeRecords(records, delivery.clients, { ...delivery.sink, remainingTimeMs: () => Number.MAX_SAFE_INTEGER }, logger)).undelivered,
            checkpointPath: values.checkpoint !== undefined ? resolve(io.cwd, values.checkpoint) : (exportArn: string) => resolve(io.cwd, `.ddb-audit-backfill-${exportArn.slice(exportArn.lastIndexOf('/') + 1)}.json`),
          }
        : {}),
      ...(progress ? { onProgress: (p) => io.stderr(`\rbackfill: ${p.items} of ${p.total} items (file ${p.file} of ${p.files})`) } : {}),
    });
    if (progress) io.stderr('\n');
    const say = dryRun ? io.stderr : io.stdout;
    say(values.json ? `${JSON.stringify({ dry_run: dryRun, ...report })}\n` : `${describe(report, dryRun)}\n`);
    if (report.failed > 0) io.stderr(`ddb-audit backfill: ${report.failed} items were not delivered${firstProblem !== undefined ? ` (${firstProblem})` : ''}; run the same command again: it resumes from ${report.checkpoint}${report.filledGap ? `, then marks gap ${report.filledGap.gapId} filled` : ''}\n`);
    else if (report.filledGap !== undefined && !report.filledGap.sent) io.stderr(`ddb-audit backfill: every item was delivered but the gap's filled row (${report.filledGap.eventId}) was not${firstProblem !== undefined ? ` (${firstProblem})` : ''}; run the same command again: it skips the items and sends the row\n`);
    return report.failed > 0 || report.filledGap?.sent === false ? 1 : 0;
  } catch (err) {
    io.stderr(`ddb-audit backfill: ${(err as Error).message}\n`);
    const usage = err instanceof UsageError || err instanceof ExportRefusedError || err instanceof ExportReadError || err instanceof CheckpointError || err instanceof ReplaySettingsError || err instanceof StackOutputsError || err instanceof QueryParamError;
    return usage ? 2 : 1;
  }
}

function describe(report: BackfillReport, dryRun: boolean): string {
  const head = `${report.exportArn} (${report.tableArn} at ${report.exportTime}): ${report.items} items in ${report.files} files verified`;
  const gap = report.filledGap;
  if (dryRun) return `${head}; dry run: printed ${report.sent}${gap ? ` and gap ${gap.gapId}'s filled row` : ''}, sent nothing`;
  const resumed = report.skipped > 0 ? `, ${report.skipped} already delivered (checkpoint)` : '';
  const filled = gap === undefined ? '' : gap.sent ? `; gap ${gap.gapId} marked filled (${gap.eventId})` : `; gap ${gap.gapId} not marked filled`;
  return `${head}; ${report.sent} sent${resumed}, ${report.failed} failed${filled}`;
}

/** Where --gap-id's gap is read from; the options have no use without --gap-id. */
function gapLogTarget(values: BackfillOptions, io: CommandIo): GapLogTarget | undefined {
  const given = values.data !== undefined || values.athena === true || values.workgroup !== undefined || values.database !== undefined;
  if (values.gapId === undefined) {
    if (given) throw new UsageError('--data, --athena, --workgroup and --database say where --gap-id\'s gap is read from; they have no use without --gap-id');
    return undefined;
  }
  checkGapId(values.gapId);
  if (values.data !== undefined && values.athena) throw new UsageError('--data and --athena are exclusive: the log in a local folder, or in Athena');
  if (values.athena) {
    if (values.workgroup === undefined || values.workgroup === '') throw new UsageError('--athena needs --workgroup WG');
    return { athena: { workgroup: values.workgroup, ...(values.database !== undefined ? { database: values.database } : {}) } };
  }
  if (values.workgroup !== undefined || values.database !== undefined) throw new UsageError('--workgroup and --database are for --athena');
  if (values.data === undefined || values.data === '') throw new UsageError('--gap-id needs the change log to read the gap\'s bounds and streams from: --data DIR (the local log folder) or --athena --workgroup WG');
  const dataDir = resolve(io.cwd, values.data);
  if (!existsSync(dataDir)) throw new UsageError(`--data ${dataDir}: no such folder (the change log's local folder, as for ddb-audit coverage)`);
  return { dataDir };
}

// As in replay: a config that is present must be valid, since redaction comes from it; without any
// the command refuses unless --no-config. A config file also lists the onboarded tables.
function loadConfig(cdkJson: string | undefined, noConfig: boolean, io: CommandIo): { sourceOptions: CollectorSourceOptionsByTable; onboardedTables?: ReadonlySet<string> } {
  if (noConfig && cdkJson !== undefined) throw new UsageError('--cdk-json and --no-config are exclusive: name the config, or say there is none');
  if (noConfig) {
    io.stderr(noConfigWarning('backfill'));
    return { sourceOptions: {} };
  }
  const fromFile = (path: string) => {
    const config = loadAuditConfig(path);
    return { sourceOptions: collectorSourceOptions(config), onboardedTables: new Set(resolveSources(config).map((s) => s.arn.tableArn)) };
  };
  if (cdkJson !== undefined) return fromFile(resolve(io.cwd, cdkJson));
  if (io.env.SOURCE_OPTIONS !== undefined && io.env.SOURCE_OPTIONS !== '') return { sourceOptions: parseSourceOptions(io.env.SOURCE_OPTIONS) };
  const local = resolve(io.cwd, 'cdk.json');
  if (!existsSync(local)) throw new UsageError(`no config: ${local} does not exist and SOURCE_OPTIONS is not set, and redaction comes from them; pass --cdk-json PATH, or --no-config to backfill without redaction`);
  return fromFile(local);
}
