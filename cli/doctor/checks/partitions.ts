/**
 * Every recent change-log partition in S3 is registered in Glue. Athena reads only registered
 * partitions (the table has no projection, lib/constructs/change-log-catalog.ts): an unregistered
 * one is a day of a table whose changes no query returns, with no error. FAIL.
 *
 * Bounded: only today's and yesterday's dt= folders (UTC) of each account/table folder, with one
 * S3 listing and one GetPartitions per source (cli/catalog/s3-partitions.ts, glue-partitions.ts),
 * at doctor's concurrency; `ddb-audit catalog sync --dry-run` compares every day.
 *
 * A partition whose first object is younger than REGISTRATION_GRACE_MINUTES is counted as being
 * registered, not missing: S3 events typically arrive in seconds "but can sometimes take a minute
 * or longer" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html), and
 * the queue's age alarm fires after 15 minutes.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mapBounded } from '../concurrency';
import { registeredDays } from '../../catalog/glue-partitions';
import { listSourceDays, listSourceFolders, type SourceListing } from '../../catalog/s3-partitions';
import { DEFAULT_GLUE_TABLE } from '../../deployment/stack-outputs';
import { partitionPath, type PartitionValues } from '../../../schemas/partitioning';
import type { DoctorCheck, DoctorContext } from '../context';
import { CheckLine, runbook } from '../result';
import { notChecked, onError } from './common';
import { minutesAgo, todayAndYesterday } from './s3-listing';

/** The queue-age alarm's threshold: a partition unregistered for longer than this is lost, not late. */
export const REGISTRATION_GRACE_MINUTES = 15;

export const partitionsCheck: DoctorCheck = {
  id: 'partitions',
  run: async (context: DoctorContext): Promise<CheckLine[]> => {
    const bucket = context.state.deployment.changeLogBucket;
    const what = 'Glue partitions of the last 2 days';
    if (bucket === undefined) return [notChecked('partitions', what, 'ChangeLogBucketName')];
    const table = context.state.deployment.glueTable ?? DEFAULT_GLUE_TABLE;
    const [, yesterday] = todayAndYesterday(context.now);
    let listing: SourceListing;
    try {
      listing = await listSourceFolders(context.clients.s3, bucket);
    } catch (err) {
      return [onError('partitions', what, err, 's3:ListBucket')];
    }
    if (listing.sources.length === 0) {
      return [{ status: 'WARN', check: 'partitions', what, detail: `no account_id=/table_name= folders under s3://${bucket}/changes/, so nothing could be checked`, fix: `see the heartbeat and delivery lines; ${runbook('partitions')}` }];
    }
    const perSource = await mapBounded(listing.sources, context.concurrency, async (source) => {
      try {
        const [inS3, registered] = await Promise.all([listSourceDays(context.clients.s3, bucket, source, yesterday), registeredDays(context.clients.glue, table, source, yesterday)]);
        const unregistered: { partition: PartitionValues; firstObjectAgeMinutes: number | undefined }[] = [];
        for (const partition of inS3.partitions.filter((p) => !registered.has(p.dt))) {
          // Keys sort byte-wise and Firehose names objects by time, so the first key is (about) the oldest.
          const page = await context.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: partitionPath(partition), MaxKeys: 1 }));
          const first = page.Contents?.[0]?.LastModified;
          unregistered.push({ partition, firstObjectAgeMinutes: first === undefined ? undefined : minutesAgo(context.now, first) });
        }
        return { found: inS3.partitions.length, unregistered };
      } catch (err) {
        return { error: onError('partitions', `Glue partitions of ${source.account_id}/${source.table_name}`, err, 's3:ListBucket and glue:GetPartitions') };
      }
    });

    const lines: CheckLine[] = [];
    let found = 0;
    let pending = 0;
    for (const result of perSource) {
      if ('error' in result) {
        if (result.error) lines.push(result.error);
        continue;
      }
      found += result.found;
      for (const { partition, firstObjectAgeMinutes } of result.unregistered) {
        if (firstObjectAgeMinutes !== undefined && firstObjectAgeMinutes < REGISTRATION_GRACE_MINUTES) {
          pending++;
          continue;
        }
        lines.push({
          status: 'FAIL',
          check: 'partitions',
          what: `partition s3://${bucket}/${partitionPath(partition)}`,
          detail: `is not registered in ${table.database}.${table.table}${firstObjectAgeMinutes === undefined ? '' : ` (first object ${firstObjectAgeMinutes} minutes old)`}: Athena returns none of its rows, with no error`,
          fix: `ddb-audit catalog sync --bucket ${bucket} --since ${yesterday}; ${runbook('partitions')}`,
        });
      }
    }
    if (lines.length === 0) {
      lines.push({ status: 'PASS', check: 'partitions', what, detail: `all ${found - pending} partitions of ${listing.sources.length} sources registered${pending > 0 ? `, ${pending} being registered (first object under ${REGISTRATION_GRACE_MINUTES} minutes old)` : ''}` });
    }
    return lines;
  },
};
