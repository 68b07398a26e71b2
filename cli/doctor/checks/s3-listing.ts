/** Listing helpers for the heartbeat and digest checks: a few day prefixes, page by page. */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface ListedObject {
  readonly key: string;
  readonly lastModified: Date;
}

/** Every object under `prefix` (ListObjectsV2, 1,000 keys a page, https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html). */
export async function listObjects(s3: Pick<S3Client, 'send'>, bucket: string, prefix: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined || item.Key.endsWith('/')) continue;
      out.push({ key: item.Key, lastModified: item.LastModified ?? new Date(0) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Today's and yesterday's UTC dates (yyyy-MM-dd): near midnight, the newest object can be in either. */
export function todayAndYesterday(now: Date): [string, string] {
  const today = now.toISOString().slice(0, 10);
  const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  return [today, yesterday];
}

export function minutesAgo(now: Date, then: Date): number {
  return Math.floor((now.getTime() - then.getTime()) / 60_000);
}
