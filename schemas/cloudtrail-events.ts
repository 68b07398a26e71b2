/**
 * The CloudTrail table `cloudtrail_events`: the columns of a trail's own log records, as Athena's
 * documented CloudTrail table declares them, and the trail's own S3 layout.
 *
 * One definition feeds the deployed Glue table (lib/constructs/cloudtrail-catalog.ts) and the local
 * DuckDB view over CloudTrail files in a data folder (cli/query/duckdb-engine.ts), so
 * athena-queries/change-attribution.sql reads the same columns in both engines.
 *
 * Columns and types follow AWS's CloudTrail table for Athena
 * (https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html):
 * lower-case names, nested objects as structs, and requestParameters / responseElements /
 * additionalEventData as STRING holding the JSON text, so queries read them with json_extract.
 * A subset of AWS's columns is declared (those a change attribution or a reviewer needs); the
 * JSON SerDe ignores the rest of each record.
 *
 * The record shape (eventTime in whole seconds, userIdentity, requestParameters.tableName and .key,
 * errorCode, recipientAccountId, eventCategory "Data") is AWS's documented DynamoDB example set:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/understanding-ddb-log-entries.html
 *
 * This module has no dependencies so that CDK, CLI and local code can all import it.
 */

/** A CloudTrail field: a string, a JSON text (nested object kept as text), a struct or an array of structs. */
export type CloudTrailFieldType =
  | { readonly kind: 'string' }
  | { readonly kind: 'json_text' }
  | { readonly kind: 'struct'; readonly fields: readonly CloudTrailField[] }
  | { readonly kind: 'struct_array'; readonly fields: readonly CloudTrailField[] };

export interface CloudTrailField {
  /** The name in the log record, as CloudTrail spells it (camelCase); the column is its lower case. */
  readonly jsonName: string;
  readonly type: CloudTrailFieldType;
}

const str = (jsonName: string): CloudTrailField => ({ jsonName, type: { kind: 'string' } });
const jsonText = (jsonName: string): CloudTrailField => ({ jsonName, type: { kind: 'json_text' } });
const struct = (jsonName: string, fields: readonly CloudTrailField[]): CloudTrailField => ({ jsonName, type: { kind: 'struct', fields } });

/** The columns of `cloudtrail_events`, in AWS's order. */
export const CLOUDTRAIL_EVENT_FIELDS: readonly CloudTrailField[] = [
  str('eventVersion'),
  struct('userIdentity', [
    str('type'),
    str('principalId'),
    str('arn'),
    str('accountId'),
    str('invokedBy'),
    str('accessKeyId'),
    str('userName'),
    struct('sessionContext', [
      struct('attributes', [str('mfaAuthenticated'), str('creationDate')]),
      struct('sessionIssuer', [str('type'), str('principalId'), str('arn'), str('accountId'), str('userName')]),
    ]),
  ]),
  str('eventTime'),
  str('eventSource'),
  str('eventName'),
  str('awsRegion'),
  str('sourceIPAddress'),
  str('userAgent'),
  str('errorCode'),
  str('errorMessage'),
  jsonText('requestParameters'),
  jsonText('responseElements'),
  jsonText('additionalEventData'),
  str('requestID'),
  str('eventID'),
  str('readOnly'),
  { jsonName: 'resources', type: { kind: 'struct_array', fields: [str('ARN'), str('accountId'), str('type')] } },
  str('eventType'),
  str('apiVersion'),
  str('recipientAccountId'),
  str('sharedEventID'),
  str('vpcEndpointId'),
  str('eventCategory'),
];

/** The column name of a field: CloudTrail's name in lower case, as the Hive JSON SerDe matches it. */
export function columnName(field: CloudTrailField): string {
  return field.jsonName.toLowerCase();
}

/** The Hive/Glue type text of a field, e.g. struct<type:string,arn:string>. */
export function glueType(field: CloudTrailField): string {
  switch (field.type.kind) {
    case 'string':
    case 'json_text':
      return 'string';
    case 'struct':
      return `struct<${field.type.fields.map((f) => `${columnName(f)}:${glueType(f)}`).join(',')}>`;
    case 'struct_array':
      return `array<struct<${field.type.fields.map((f) => `${columnName(f)}:${glueType(f)}`).join(',')}>>`;
  }
}

/**
 * Partition keys of `cloudtrail_events`, in the order of the trail's path
 * AWSLogs/[o-org/]<account>/CloudTrail/<region>/yyyy/MM/dd/: the account that owns the log (the
 * recipient account), its region, and the delivery day as CloudTrail writes it (yyyy/MM/dd).
 */
export const CLOUDTRAIL_PARTITION_KEYS = ['account_id', 'region', 'log_date'] as const;
export type CloudTrailPartitionKey = (typeof CLOUDTRAIL_PARTITION_KEYS)[number];

/** Glue table the attribution query joins to the change log. */
export const CLOUDTRAIL_TABLE_NAME = 'cloudtrail_events';

/**
 * Without attribution.cloudTrail, the empty cloudtrail_events table's location: a prefix of the
 * change-log bucket that nothing writes (the table has no partition, so it is never read).
 */
export const CLOUDTRAIL_NOT_CONFIGURED_PREFIX = 'cloudtrail-not-configured/';

/** The view that serves the attribution join to ad-hoc SQL. */
export const ATTRIBUTED_VIEW_NAME = 'audit_changes_attributed';

/** Where a local data folder keeps CloudTrail log files (each trail's own layout below it). */
export const LOCAL_CLOUDTRAIL_PREFIX = 'cloudtrail/';

/**
 * A CloudTrail log file key: [prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/yyyy/MM/dd/
 * ACCOUNT_CloudTrail_REGION_yyyyMMddTHHmmZ_RANDOM.json.gz
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html).
 * Digest files (CloudTrail-Digest/) and anything else do not match and are not read.
 */
const LOG_FILE_KEY =
  /^(?:(.*)\/)?AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_([A-Za-z0-9]+)\.json\.gz$/;

export interface CloudTrailLogFileKey {
  /** The trail's S3 key prefix ('' for none). */
  readonly prefix: string;
  readonly organizationId?: string;
  readonly accountId: string;
  readonly region: string;
  /** yyyy/MM/dd, the partition value. */
  readonly logDate: string;
}

/** The parts of a CloudTrail log file key, or undefined for any other key (digests, stray files). */
export function parseCloudTrailLogKey(key: string): CloudTrailLogFileKey | undefined {
  const m = LOG_FILE_KEY.exec(key);
  if (!m) return undefined;
  const [, prefix, org, account, region, y, mo, d, fileAccount, fileRegion] = m as unknown as string[];
  // The file name repeats the account and region of its folder; a file that disagrees is not the trail's.
  if (fileAccount !== account || fileRegion !== region) return undefined;
  return { prefix: prefix ?? '', ...(org ? { organizationId: org } : {}), accountId: account as string, region: region as string, logDate: `${y}/${mo}/${d}` };
}

/** The key CloudTrail gives a log file delivered at `deliveredAt`. */
export function cloudTrailLogKey(parts: Omit<CloudTrailLogFileKey, 'logDate'> & { readonly deliveredAt: Date; readonly unique: string }): string {
  const iso = parts.deliveredAt.toISOString();
  const day = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  const prefix = parts.prefix === '' ? '' : `${parts.prefix.replace(/\/+$/, '')}/`;
  const org = parts.organizationId ? `${parts.organizationId}/` : '';
  return `${prefix}AWSLogs/${org}${parts.accountId}/CloudTrail/${parts.region}/${day}/${parts.accountId}_CloudTrail_${parts.region}_${stamp}_${parts.unique}.json.gz`;
}

/**
 * DynamoDB write operations that are CloudTrail data events (readOnly false). Single-item calls
 * carry requestParameters.tableName and .key, so they are joined by key; the others are not
 * (see athena-queries/change-attribution.sql for why each one is not).
 */
export const SINGLE_ITEM_WRITES = ['PutItem', 'UpdateItem', 'DeleteItem'] as const;
export const MULTI_ITEM_WRITES = ['TransactWriteItems', 'BatchWriteItem', 'ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction'] as const;

/** The seconds either side of a change's event_time within which a CloudTrail event may be its call. */
export const ATTRIBUTION_WINDOW_SECONDS = 1;
