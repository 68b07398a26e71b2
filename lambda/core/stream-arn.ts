/**
 * DynamoDB stream ARNs: arn:PARTITION:dynamodb:REGION:ACCOUNT:table/TABLE/stream/LABEL.
 * The collector derives account_id, region and table_name from a record's eventSourceARN,
 * and the config validator uses the same parser so both agree on what a valid ARN is.
 */

export interface StreamArnParts {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly tableName: string;
  readonly streamLabel: string;
  /** arn:PARTITION:dynamodb:REGION:ACCOUNT:table/TABLE: the key for per-source options. */
  readonly tableArn: string;
}

// Table names: 3-255 of [a-zA-Z0-9_.-]. Account ids: exactly 12 digits (leading zeros are significant).
const STREAM_ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):dynamodb:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):table\/([A-Za-z0-9_.-]{3,255})\/stream\/(\S+)$/;

/** Parses a stream ARN, or returns undefined when it is not one. */
export function parseStreamArn(arn: string): StreamArnParts | undefined {
  const m = STREAM_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, region, accountId, tableName, streamLabel] = m as unknown as [string, string, string, string, string, string];
  return { partition, region, accountId, tableName, streamLabel, tableArn: `arn:${partition}:dynamodb:${region}:${accountId}:table/${tableName}` };
}

/** Why an ARN is not a stream ARN, in one line, naming the part that is wrong. */
export function explainStreamArn(arn: string): string {
  if (parseStreamArn(arn)) return 'valid';
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return 'not an ARN (expected arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL)';
  if (parts[2] !== 'dynamodb') return `service is "${parts[2]}", expected "dynamodb"`;
  if (!/^\d{12}$/.test(parts[4] ?? '')) return `account id "${parts[4]}" is not 12 digits`;
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(parts[3] ?? '')) return `region "${parts[3]}" is not a region name`;
  const resource = parts.slice(5).join(':');
  if (!/^table\/[^/]+\/stream\/.+$/.test(resource)) return `resource "${resource}" is not table/NAME/stream/LABEL (a table ARN is not enough: give the stream ARN)`;
  return `table name in "${resource}" is not 3-255 characters of letters, digits, _ . -`;
}
