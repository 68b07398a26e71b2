/**
 * The S3 "Object Created" event EventBridge delivers for the change-log bucket
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html), read from the body of an
 * SQS message the rule's queue holds. Shared by every function fed by such a queue (per-object
 * retention, partition registration): each adds its own checks of bucket and key.
 */

export interface ObjectCreatedRef {
  readonly bucket: string;
  /** As the event carries it (see the callers for what they accept). */
  readonly key: string;
  /** Absent only if S3 sent none (the bucket is versioned, so it should always be there). */
  readonly versionId?: string;
  /** When S3 reports the object was created (the event's time). */
  readonly createdAt: Date;
}

/** A message that is not an S3 Object Created event; the message says what is wrong, on one line. */
export class ObjectCreatedEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObjectCreatedEventError';
  }
}

/** Reads one SQS message body; throws ObjectCreatedEventError naming what is wrong. */
export function parseObjectCreatedEvent(body: string): ObjectCreatedRef {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch (err) {
    throw new ObjectCreatedEventError(`message body is not JSON: ${(err as Error).message}`);
  }
  const e = asRecord(event);
  if (!e) throw new ObjectCreatedEventError('message body is not a JSON object');
  if (e.source !== 'aws.s3' || e['detail-type'] !== 'Object Created') {
    throw new ObjectCreatedEventError(`message is not an S3 "Object Created" event (source ${JSON.stringify(e.source)}, detail-type ${JSON.stringify(e['detail-type'])})`);
  }
  const detail = asRecord(e.detail);
  const bucket = asRecord(detail?.bucket)?.name;
  const object = asRecord(detail?.object);
  const key = object?.key;
  if (typeof bucket !== 'string' || typeof key !== 'string' || key === '') throw new ObjectCreatedEventError('event has no detail.bucket.name or detail.object.key');
  const versionId = object?.['version-id'];
  if (versionId !== undefined && (typeof versionId !== 'string' || versionId === '')) throw new ObjectCreatedEventError(`event has a malformed detail.object.version-id ${JSON.stringify(versionId)}`);
  const createdAt = typeof e.time === 'string' ? new Date(e.time) : new Date(Number.NaN);
  if (Number.isNaN(createdAt.getTime())) throw new ObjectCreatedEventError(`event time ${JSON.stringify(e.time)} is not a timestamp`);
  return { bucket, key, versionId, createdAt };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
