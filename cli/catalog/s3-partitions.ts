/**
 * The partitions the change log holds in S3, found by walking its Hive layout one level at a time
 * with ListObjectsV2 and Delimiter "/" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html:
 * CommonPrefixes, up to 1,000 entries a page): changes/ -> account_id=…/ -> table_name=…/ -> dt=…/.
 * Objects are never listed, so the work is in proportion to partitions, not to objects:
 * 1 call for the accounts (1,000 a page), 1 per account for its tables, and 1 per table for each
 * 1,000 days. For 1,000 accounts x 10 tables x 365 days: 1 + 1,000 + 10,000 = 11,001 calls.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CHANGES_PREFIX, partitionValueProblem, type PartitionValues } from '../../schemas/partitioning';

type S3Sender = Pick<S3Client, 'send'>;

/** One account/table folder of the change log. */
export interface SourceFolder {
  readonly account_id: string;
  readonly table_name: string;
}

/** The immediate sub-folders of `prefix` (the part after `prefix`, without the "/"); pages until done. */
export async function childFolders(s3: S3Sender, bucket: string, prefix: string, startAfter?: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token, ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}) }));
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) out.push(p.Prefix.slice(prefix.length, -1));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** What the walk found: the valid source folders, and the folders that are not partitions (reported, never registered). */
export interface SourceListing {
  readonly sources: SourceFolder[];
  readonly strayFolders: string[];
}

export async function listSourceFolders(s3: S3Sender, bucket: string): Promise<SourceListing> {
  const sources: SourceFolder[] = [];
  const strayFolders: string[] = [];
  for (const accountFolder of await childFolders(s3, bucket, CHANGES_PREFIX)) {
    const account = valueOf(accountFolder, 'account_id');
    if (account === undefined) {
      strayFolders.push(`${CHANGES_PREFIX}${accountFolder}/`);
      continue;
    }
    const accountPrefix = `${CHANGES_PREFIX}${accountFolder}/`;
    for (const tableFolder of await childFolders(s3, bucket, accountPrefix)) {
      const table = valueOf(tableFolder, 'table_name');
      if (table === undefined) strayFolders.push(`${accountPrefix}${tableFolder}/`);
      else sources.push({ account_id: account, table_name: table });
    }
  }
  return { sources, strayFolders };
}

/** The dt partitions of one source folder, from `since` (yyyy-MM-dd) on when given. */
export async function listSourceDays(s3: S3Sender, bucket: string, source: SourceFolder, since?: string): Promise<{ partitions: PartitionValues[]; strayFolders: string[] }> {
  const prefix = `${CHANGES_PREFIX}account_id=${source.account_id}/table_name=${source.table_name}/`;
  // StartAfter "…/dt=SINCE" lists dt=SINCE/ and later (keys sort byte-wise, and "/" follows the end of the string).
  const folders = await childFolders(s3, bucket, prefix, since === undefined ? undefined : `${prefix}dt=${since}`);
  const partitions: PartitionValues[] = [];
  const strayFolders: string[] = [];
  for (const folder of folders) {
    const dt = valueOf(folder, 'dt');
    if (dt === undefined) strayFolders.push(`${prefix}${folder}/`);
    else if (since === undefined || dt >= since) partitions.push({ ...source, dt });
  }
  return { partitions, strayFolders };
}

function valueOf(folder: string, key: 'account_id' | 'table_name' | 'dt'): string | undefined {
  if (!folder.startsWith(`${key}=`)) return undefined;
  const value = folder.slice(key.length + 1);
  return partitionValueProblem(key, value) === undefined ? value : undefined;
}
