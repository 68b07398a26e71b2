/**
 * CloudTrail log files in a local data folder: cloudtrail/ holds them in the trail's own S3 layout
 * (a trail's objects copied from S3 with their keys work unchanged), each a gzip JSON document
 * {"Records":[…]} as CloudTrail writes it.
 *
 * Listing goes through the same lister as the change log's Parquet (lambda/digest/local-listing.ts),
 * so hidden, linked or future-dated files are never read, and a file being written (a hidden
 * temporary name, renamed when complete) is never half-read.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listLocalFolder } from '../../lambda/digest/local-listing';
import type { StoredObject } from '../../lambda/digest/store';
import { CloudTrailLogFileKey, cloudTrailLogKey, LOCAL_CLOUDTRAIL_PREFIX, parseCloudTrailLogKey } from '../../schemas/cloudtrail-events';

export interface CloudTrailFile extends StoredObject, CloudTrailLogFileKey {
  /** Absolute path handed to DuckDB. */
  readonly path: string;
}

/** The CloudTrail log files of a data folder (none when it has no cloudtrail/ folder). */
export async function cloudTrailFiles(dataDir: string, now: Date = new Date()): Promise<CloudTrailFile[]> {
  const { objects } = await listLocalFolder(dataDir, LOCAL_CLOUDTRAIL_PREFIX, now.getTime());
  const files: CloudTrailFile[] = [];
  for (const o of objects) {
    const parts = parseCloudTrailLogKey(o.key.slice(LOCAL_CLOUDTRAIL_PREFIX.length));
    if (parts) files.push({ ...o, ...parts, path: join(dataDir, ...o.key.split('/')) });
  }
  return files.sort((a, b) => a.key.localeCompare(b.key));
}

/** One CloudTrail record, as the trail writes it (a JSON object). */
export type CloudTrailRecord = Readonly<Record<string, unknown>>;

export interface CloudTrailFileTarget {
  readonly accountId: string;
  readonly region: string;
  /** The trail's S3 key prefix. @default none */
  readonly prefix?: string;
  /** For an organization trail (AWSLogs/o-…/). @default none */
  readonly organizationId?: string;
  /** When CloudTrail delivered the file: its folder day and file-name timestamp. */
  readonly deliveredAt: Date;
}

/**
 * Writes one log file under dataDir/cloudtrail/ and returns its key (relative to the data folder).
 * Written under a hidden name and renamed, so no reader sees a partial file.
 */
export async function writeCloudTrailFile(dataDir: string, target: CloudTrailFileTarget, records: readonly CloudTrailRecord[]): Promise<string> {
  const key = `${LOCAL_CLOUDTRAIL_PREFIX}${cloudTrailLogKey({
    prefix: target.prefix ?? '',
    ...(target.organizationId ? { organizationId: target.organizationId } : {}),
    accountId: target.accountId,
    region: target.region,
    deliveredAt: target.deliveredAt,
    unique: randomBytes(8).toString('hex').toUpperCase(),
  })}`;
  const path = join(dataDir, ...key.split('/'));
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.inprogress`);
  await writeFile(temporary, gzipSync(Buffer.from(JSON.stringify({ Records: records }), 'utf8')));
  await rename(temporary, path);
  return key;
}
