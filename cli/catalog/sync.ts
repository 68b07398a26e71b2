/**
 * `ddb-audit catalog sync`: registers in Glue every change-log partition that S3 holds and Glue
 * does not. It is the repair for a lost S3 event (S3 delivers events at least once, but an event
 * the pipeline could not handle ends in the dead-letter queue) and what a new deployment over
 * existing data runs. Doctor's partitions check runs the same comparison for the last two days.
 *
 * Work per source: one S3 listing of its dt= folders, one GetPartitions, and a BatchCreatePartition
 * per 100 missing partitions; sources run with bounded concurrency, and each source's partitions
 * are compared and registered before the next is read, so memory stays per source whatever the
 * log's size. Calls in all for N sources of D days: 1 + accounts + N x (ceil(D / 1,000) + ceil(D / 1,000))
 * plus the registrations; 21,001 for 1,000 accounts x 10 tables x 365 days with nothing missing.
 */
import type { GlueClient } from '@aws-sdk/client-glue';
import type { S3Client } from '@aws-sdk/client-s3';
import { mapBounded } from '../doctor/concurrency';
import type { PartitionValues } from '../../schemas/partitioning';
import { partitionLocation } from '../../schemas/partitioning';
import { gluePartitionCatalog } from '../../lambda/partitions/glue-catalog';
import { registerPartitions } from '../../lambda/partitions/register-partitions';
import { registeredDays, type GlueTableName } from './glue-partitions';
import { listSourceDays, listSourceFolders, type SourceFolder } from './s3-partitions';

/** How many partitions, failures or misplaced partitions a report lists (it counts them all). */
export const REPORT_SAMPLE = 50;

export interface CatalogSyncOptions {
  readonly s3: Pick<S3Client, 'send'>;
  readonly glue: Pick<GlueClient, 'send'>;
  readonly bucket: string;
  readonly table: GlueTableName;
  /** Compare only, register nothing. */
  readonly dryRun: boolean;
  /** Only dt >= this (yyyy-MM-dd). @default every day */
  readonly since?: string;
  /** Sources compared at once. @default 8 */
  readonly concurrency?: number;
}

/** A partition S3 holds and Glue has under another location (sync does not move it; someone changed it by hand). */
export interface MisplacedPartition {
  readonly partition: PartitionValues;
  readonly registeredLocation: string | undefined;
  readonly expectedLocation: string;
}

export interface CatalogSyncReport {
  readonly bucket: string;
  readonly table: string;
  readonly dryRun: boolean;
  readonly since: string | null;
  readonly sources: number;
  /** Partitions found in S3 (in the compared days). */
  readonly partitionsInS3: number;
  readonly alreadyRegistered: number;
  /** Missing from Glue when compared (registered by this run unless a dry run). */
  readonly missing: number;
  /** The first REPORT_SAMPLE of them: a fresh deployment over years of data misses millions. */
  readonly missingSample: PartitionValues[];
  readonly created: number;
  readonly failedCount: number;
  /** The first REPORT_SAMPLE failures. */
  readonly failed: { partition: PartitionValues; errorCode: string; message: string }[];
  readonly misplaced: MisplacedPartition[];
  /** Folders under changes/ that are not account_id=/table_name=/dt= with valid values. */
  readonly strayFolders: string[];
}

export async function catalogSync(options: CatalogSyncOptions): Promise<CatalogSyncReport> {
  const { s3, glue, bucket, table, since } = options;
  const listing = await listSourceFolders(s3, bucket);
  const catalog = gluePartitionCatalog(glue, { database: table.database, table: table.table, bucket });
  const perSource = await mapBounded(listing.sources, options.concurrency ?? 8, async (source: SourceFolder) => {
    const [inS3, registered] = await Promise.all([listSourceDays(s3, bucket, source, since), registeredDays(glue, table, source, since)]);
    const missing = inS3.partitions.filter((p) => !registered.has(p.dt));
    const misplaced = inS3.partitions
      .filter((p) => registered.has(p.dt) && registered.get(p.dt) !== partitionLocation(bucket, p))
      .map((p) => ({ partition: p, registeredLocation: registered.get(p.dt), expectedLocation: partitionLocation(bucket, p) }));
    const registration = options.dryRun || missing.length === 0 ? undefined : await registerPartitions(missing, catalog);
    // Only a sample of each source's partitions is kept past this point (memory per source, not per log).
    return { found: inS3.partitions.length, stray: inS3.strayFolders, missing: missing.slice(0, REPORT_SAMPLE), missingCount: missing.length, misplaced: misplaced.slice(0, REPORT_SAMPLE), registration: registration && { created: registration.created.length, alreadyRegistered: registration.alreadyRegistered.length, failedCount: registration.failed.length, failed: registration.failed.slice(0, REPORT_SAMPLE) } };
  });
  return {
    bucket,
    table: `${table.database}.${table.table}`,
    dryRun: options.dryRun,
    since: since ?? null,
    sources: listing.sources.length,
    partitionsInS3: sum(perSource.map((s) => s.found)),
    // Registered before this run, plus those another writer registered between our read and our call.
    alreadyRegistered: sum(perSource.map((s) => s.found - s.missingCount + (s.registration?.alreadyRegistered ?? 0))),
    missing: sum(perSource.map((s) => s.missingCount)),
    missingSample: perSource.flatMap((s) => s.missing).slice(0, REPORT_SAMPLE),
    created: sum(perSource.map((s) => s.registration?.created ?? 0)),
    failedCount: sum(perSource.map((s) => s.registration?.failedCount ?? 0)),
    failed: perSource.flatMap((s) => s.registration?.failed ?? []).slice(0, REPORT_SAMPLE),
    misplaced: perSource.flatMap((s) => s.misplaced).slice(0, REPORT_SAMPLE),
    strayFolders: [...listing.strayFolders, ...perSource.flatMap((s) => s.stray)],
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
