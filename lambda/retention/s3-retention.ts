/**
 * The retention store over S3: GetObjectRetention and PutObjectRetention on one object version.
 * PutObjectRetention requires an integrity header (Content-MD5 or a checksum); the AWS SDK for
 * JavaScript v3 adds a checksum to operations that require one, so no code of ours computes it.
 */
import { GetObjectRetentionCommand, PutObjectRetentionCommand, S3Client } from '@aws-sdk/client-s3';
import type { ObjectRetention, ObjectVersionRef, RetentionMode, RetentionStore } from './apply-retention';

/** S3's error for an object version that has no retention (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). */
const NO_RETENTION_ERROR = 'NoSuchObjectLockConfiguration';

export function s3RetentionStore(s3: S3Client): RetentionStore {
  return {
    async getRetention(ref: ObjectVersionRef): Promise<ObjectRetention | undefined> {
      try {
        const out = await s3.send(new GetObjectRetentionCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }));
        const mode = out.Retention?.Mode;
        const until = out.Retention?.RetainUntilDate;
        if (mode === undefined || until === undefined) return undefined;
        if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw new Error(`GetObjectRetention returned an unknown mode ${JSON.stringify(mode)} for ${ref.key}`);
        return { mode: mode as RetentionMode, retainUntil: new Date(until) };
      } catch (err) {
        if ((err as { name?: string }).name === NO_RETENTION_ERROR) return undefined;
        throw err;
      }
    },
    async putRetention(ref: ObjectVersionRef, retention: ObjectRetention): Promise<void> {
      await s3.send(
        new PutObjectRetentionCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          VersionId: ref.versionId,
          Retention: { Mode: retention.mode, RetainUntilDate: retention.retainUntil },
        }),
      );
    },
  };
}
