/**
 * What `ddb-audit catalog sync` does (bin/commands/catalog.ts defines its options):
 * `ddb-audit catalog sync [--bucket B] [--stack-outputs FILE | --from-stack] [--since YYYY-MM-DD] [--dry-run] [--json]`
 * Registers in Glue every change-log partition S3 holds and Glue lacks (cli/catalog/sync.ts): the
 * repair for a lost S3 event, and what a new deployment over existing data runs (docs/queries.md,
 * "The catalog").
 *
 * --bucket B            the change-log bucket @default the ChangeLogBucketName output of the deployment
 * --stack-outputs FILE  the audit stack's outputs (cdk deploy --outputs-file, or describe-stacks JSON)
 * --from-stack          the same, from CloudFormation (DescribeStacks of DdbAuditCollector)
 * --database D, --table T  @default the GlueTable output, else ddb_audit.audit_changes
 * --since YYYY-MM-DD    compare only days from this one on @default every day
 * --dry-run             compare and report, register nothing
 * --concurrency N       sources compared at once, 1-64 @default 8
 * --region R            @default AWS_REGION, then the profile's
 * --json                the report as one JSON object on stdout
 * Endpoints: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_GLUE / AWS_ENDPOINT_URL_CLOUDFORMATION when set.
 *
 * Exit 0 when every partition in S3 is registered (or, with --dry-run, when the comparison ran);
 * 1 when some could not be registered or nothing was found under changes/ (an empty log is not a
 * clean result); 2 for bad arguments.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { resolve } from 'node:path';
import { catalogSync, type CatalogSyncReport } from './sync';
import { auditDeployment, DEFAULT_GLUE_TABLE, readStackOutputsFile, readStackOutputsFromCloudFormation, StackOutputsError, type AuditDeployment } from '../deployment/stack-outputs';
import { CHANGES_PREFIX, partitionValueProblem } from '../../schemas/partitioning';
import { clientConfig } from '../aws-client-config';
import type { CommandIo } from '../program/command-io';
import { UsageError } from '../program/command-io';

export interface CatalogSyncOptions {
  readonly bucket?: string;
  readonly stackOutputs?: string;
  readonly fromStack?: boolean;
  readonly database?: string;
  readonly table?: string;
  readonly since?: string;
  readonly dryRun?: boolean;
  readonly concurrency?: string;
  readonly region?: string;
  readonly json?: boolean;
}

export type CatalogClientFactory = (env: NodeJS.ProcessEnv, region?: string) => CatalogClients;

/** Tests pass clients whose calls are mocked; the command itself uses the default credential chain. */
export interface CatalogClients {
  readonly s3: Pick<S3Client, 'send'>;
  readonly glue: Pick<GlueClient, 'send'>;
  readonly cloudFormation: Pick<CloudFormationClient, 'send'>;
}

function defaultClients(env: NodeJS.ProcessEnv, region?: string): CatalogClients {
  return { s3: new S3Client(clientConfig(env, 'S3', region)), glue: new GlueClient(clientConfig(env, 'GLUE', region)), cloudFormation: new CloudFormationClient(clientConfig(env, 'CLOUDFORMATION', region)) };
}

export async function catalogSyncCommand(values: CatalogSyncOptions, io: CommandIo, makeClients: CatalogClientFactory = defaultClients): Promise<number> {
  try {
    if (values.stackOutputs !== undefined && values.fromStack) throw new UsageError('--stack-outputs and --from-stack are exclusive: a file of the outputs, or CloudFormation');
    if ((values.database === undefined) !== (values.table === undefined)) throw new UsageError('--database and --table go together');
    if (values.since !== undefined && partitionValueProblem('dt', values.since) !== undefined) throw new UsageError(`--since "${values.since}" is not a yyyy-MM-dd calendar date`);
    let concurrency = 8;
    if (values.concurrency !== undefined) {
      if (!/^\d+$/.test(values.concurrency) || Number(values.concurrency) < 1 || Number(values.concurrency) > 64) throw new UsageError(`--concurrency "${values.concurrency}" is not a whole number from 1 to 64`);
      concurrency = Number(values.concurrency);
    }

    const clients = makeClients(io.env, values.region);
    const deployment = await deploymentFor(values.stackOutputs, values.fromStack === true, io, clients);
    const bucket = values.bucket ?? deployment?.value.changeLogBucket;
    if (bucket === undefined || bucket === '') throw new UsageError(deployment ? `${deployment.source} has no ChangeLogBucketName; pass --bucket` : 'the change-log bucket is needed: pass --bucket B, --stack-outputs FILE or --from-stack');
    const table = values.database !== undefined && values.table !== undefined ? { database: values.database, table: values.table } : (deployment?.value.glueTable ?? DEFAULT_GLUE_TABLE);
    const dryRun = values.dryRun === true;

    const report = await catalogSync({ s3: clients.s3, glue: clients.glue, bucket, table, dryRun, since: values.since, concurrency });
    io.stdout(values.json ? `${JSON.stringify(report)}\n` : describe(report));
    if (report.sources === 0) {
      io.stderr(`ddb-audit catalog sync: nothing under s3://${bucket}/${CHANGES_PREFIX}${report.strayFolders.length > 0 ? ` but ${report.strayFolders.length} folders that are not partitions` : ''}: is ${bucket} the change-log bucket?\n`);
      return 1;
    }
    if (report.failedCount > 0) {
      io.stderr(`ddb-audit catalog sync: ${report.failedCount} partitions could not be registered (first: ${report.failed[0]?.errorCode}: ${report.failed[0]?.message}); fix the cause and run the same command again (registration is idempotent)\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    const usage = err instanceof UsageError || err instanceof StackOutputsError;
    io.stderr(`ddb-audit catalog sync: ${usage ? (err as Error).message : `${(err as Error).name}: ${String((err as Error).message).split('\n')[0]}`}\n`);
    return usage ? 2 : 1;
  }
}

async function deploymentFor(file: string | undefined, fromStack: boolean, io: CommandIo, clients: CatalogClients): Promise<{ value: AuditDeployment; source: string } | undefined> {
  if (file !== undefined) return { value: auditDeployment(readStackOutputsFile(resolve(io.cwd, file), file)), source: file };
  if (!fromStack) return undefined;
  return { value: auditDeployment(await readStackOutputsFromCloudFormation(clients.cloudFormation)), source: 'the outputs of stack DdbAuditCollector' };
}

function describe(r: CatalogSyncReport): string {
  const lines = [
    `${r.dryRun ? 'dry run: ' : ''}${r.sources} sources and ${r.partitionsInS3} partitions under s3://${r.bucket}/${CHANGES_PREFIX}${r.since ? ` from dt=${r.since}` : ''}; ${r.alreadyRegistered} already in ${r.table}`,
    r.dryRun ? `would register ${r.missing}` : `registered ${r.created}, failed ${r.failedCount}`,
  ];
  for (const p of r.missingSample.slice(0, r.dryRun ? 20 : 0)) lines.push(`  missing account_id=${p.account_id}/table_name=${p.table_name}/dt=${p.dt}`);
  for (const f of r.failed.slice(0, 20)) lines.push(`  failed account_id=${f.partition.account_id}/table_name=${f.partition.table_name}/dt=${f.partition.dt}: ${f.errorCode}: ${f.message}`);
  for (const m of r.misplaced.slice(0, 20)) lines.push(`  registered elsewhere: dt=${m.partition.dt} of ${m.partition.account_id}/${m.partition.table_name} is at ${m.registeredLocation ?? '(no location)'}, expected ${m.expectedLocation} (not changed)`);
  for (const s of r.strayFolders.slice(0, 20)) lines.push(`  not a partition folder (ignored): s3://${r.bucket}/${s}`);
  return `${lines.join('\n')}\n`;
}
