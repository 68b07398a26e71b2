/**
 * CloudTrail data events for the demo workload: for each change the workload wrote (its ledger),
 * the DynamoDB call that made it, as CloudTrail records it, from one of several principals (IAM
 * roles with sessions, an IAM Identity Center session, an IAM user, a federated user), plus
 * failed conditional writes that changed nothing. Deterministic for a given seed.
 *
 * Record shapes follow AWS's documented DynamoDB examples
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/understanding-ddb-log-entries.html):
 * PutItem (requestParameters.tableName, .key, .item as attribute names), UpdateItem with a failed
 * condition (errorCode ConditionalCheckFailedException), TransactWriteItems (requestItems with
 * operation and key spelled tableName/TableName, key/Key), ExecuteStatement (values redacted as
 * ***(Redacted)). BatchWriteItem has no documented example: its requestParameters here are a guess
 * (requestItems keyed by table name), and the attribution query relies on nothing of it but the
 * table name appearing in the request text. The userIdentity shapes follow
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 *
 * TTL deletes get no event: DynamoDB deletes those items itself, and its stream record names the
 * service (FACTS.md).
 */
import { Random, seededRandom } from '../firehose/random';
import type { CloudTrailRecord } from '../cloudtrail/files';
import type { LedgerEntry } from './workload';

export interface DemoPrincipal {
  /** Short label for printing. */
  readonly label: string;
  readonly userIdentity: (accountId: string) => Record<string, unknown>;
  readonly sourceIPAddress: string;
  readonly userAgent: string;
}

const sessionIssuer = (accountId: string, roleName: string, id: string) => ({
  type: 'Role',
  principalId: id,
  arn: `arn:aws:iam::${accountId}:role/${roleName}`,
  accountId,
  userName: roleName.split('/').pop(),
});

/** The demo's callers. Their ARNs are what change-attribution reports as principal_arn. */
export const DEMO_PRINCIPALS: readonly DemoPrincipal[] = [
  {
    label: 'orders-service (role session)',
    userIdentity: (a) => ({
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEORDERS0001:i-0a1b2c3d4e5f60718',
      arn: `arn:aws:sts::${a}:assumed-role/orders-service/i-0a1b2c3d4e5f60718`,
      accountId: a,
      accessKeyId: 'ASIAEXAMPLEORDERS001',
      sessionContext: { sessionIssuer: sessionIssuer(a, 'orders-service', 'AROAEXAMPLEORDERS0001'), attributes: { creationDate: '2026-01-01T00:00:00Z', mfaAuthenticated: 'false' } },
    }),
    sourceIPAddress: '10.0.12.34',
    userAgent: 'aws-sdk-js/3.700.0 ua/2.1 os/linux lang/js md/nodejs#22.11.0 api/dynamodb#3.700.0',
  },
  {
    label: 'alice@example.com (IAM Identity Center)',
    userIdentity: (a) => ({
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLESSODATA001:alice@example.com',
      arn: `arn:aws:sts::${a}:assumed-role/AWSReservedSSO_DataSteward_0123456789abcdef/alice@example.com`,
      accountId: a,
      accessKeyId: 'ASIAEXAMPLESSOALICE1',
      sessionContext: {
        sessionIssuer: sessionIssuer(a, 'aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataSteward_0123456789abcdef', 'AROAEXAMPLESSODATA001'),
        attributes: { creationDate: '2026-01-01T08:00:00Z', mfaAuthenticated: 'false' },
      },
    }),
    sourceIPAddress: '203.0.113.25',
    userAgent: 'aws-cli/2.22.0 md/awscrt#0.23.4 ua/2.1 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 command/dynamodb.update-item',
  },
  {
    label: 'batch-loader (IAM user)',
    userIdentity: (a) => ({ type: 'IAMUser', principalId: 'AIDAEXAMPLEBATCHLOAD1', arn: `arn:aws:iam::${a}:user/batch-loader`, accountId: a, accessKeyId: 'AKIAEXAMPLEBATCHLOAD', userName: 'batch-loader' }),
    sourceIPAddress: '198.51.100.7',
    userAgent: 'Boto3/1.35.70 md/Botocore#1.35.70 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.7 Botocore/1.35.70',
  },
  {
    label: 'carol (federated user)',
    userIdentity: (a) => ({
      type: 'FederatedUser',
      principalId: `${a}:carol`,
      arn: `arn:aws:sts::${a}:federated-user/carol`,
      accountId: a,
      accessKeyId: 'ASIAEXAMPLEFEDCAROL1',
      sessionContext: {
        sessionIssuer: { type: 'IAMUser', principalId: 'AIDAEXAMPLEFEDBROKER', arn: `arn:aws:iam::${a}:user/federation-broker`, accountId: a, userName: 'federation-broker' },
        attributes: { creationDate: '2026-01-01T09:00:00Z', mfaAuthenticated: 'false' },
      },
    }),
    sourceIPAddress: '192.0.2.44',
    userAgent: 'aws-sdk-java/2.29.20 Linux/6.1 OpenJDK_64-Bit_Server_VM/21.0.5 Java/21.0.5 vendor/Amazon.com_Inc. md/internal',
  },
  {
    label: 'billing-fn (Lambda role session)',
    userIdentity: (a) => ({
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEBILLINGFN1:billing-fn',
      arn: `arn:aws:sts::${a}:assumed-role/billing-fn-role/billing-fn`,
      accountId: a,
      accessKeyId: 'ASIAEXAMPLEBILLING01',
      sessionContext: { sessionIssuer: sessionIssuer(a, 'billing-fn-role', 'AROAEXAMPLEBILLINGFN1'), attributes: { creationDate: '2026-01-01T00:05:00Z', mfaAuthenticated: 'false' } },
    }),
    sourceIPAddress: '10.0.40.9',
    userAgent: 'aws-sdk-js/3.700.0 ua/2.1 os/linux lang/js md/nodejs#22.11.0 api/dynamodb#3.700.0 exec-env/AWS_Lambda_nodejs22.x',
  },
];

/** The operation that made a change (or none: TTL, or a write made while the trail was not logging). */
export type DemoOperation = 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'TransactWriteItems' | 'BatchWriteItem' | 'ExecuteStatement' | 'not-logged' | 'ttl';

/** Who made one change, and how: the ground truth the attribution is checked against. */
export interface CallerEntry {
  readonly eventId: string;
  readonly operation: DemoOperation;
  /** userIdentity.arn of the caller; null for TTL and not-logged changes. */
  readonly principalArn: string | null;
  /** The CloudTrail eventID of its call; null when it has none. */
  readonly cloudTrailEventId: string | null;
}

export interface DemoCloudTrail {
  /** Every record, in event time order, each with the recipient account and region its file belongs to. */
  readonly records: CloudTrailRecord[];
  readonly callers: CallerEntry[];
  readonly failedCalls: number;
}

export interface DemoCloudTrailOptions {
  readonly seed?: number;
  /** Share of non-TTL changes whose call the trail did not log. @default 0.02 */
  readonly notLoggedRate?: number;
  /** Share of changes that get a failed conditional write to the same item in the same second. @default 0.06 */
  readonly failedConditionRate?: number;
  /** Share of calls whose eventTime is one second after the stream record's (completion after the write). @default 0.3 */
  readonly lateSecondRate?: number;
  /** Share of single-item calls whose tableName is the table's ARN rather than its name. @default 0.1 */
  readonly tableArnRate?: number;
}

const hex = (random: Random, length: number) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
const eventIdOf = (random: Random) => `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;
const requestIdOf = (random: Random) => Array.from({ length: 52 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[Math.floor(random() * 36)]).join('');

function tableArn(entry: LedgerEntry): string {
  return `arn:aws:dynamodb:${entry.region}:${entry.accountId}:table/${entry.tableName}`;
}

/** PartiQL quotes: CloudTrail shows key values in a WHERE clause and redacts the rest. */
function partiqlStatement(entry: LedgerEntry, key: Record<string, string>): string {
  const where = Object.entries(key)
    .map(([name, value]) => `${name} = '${value.replace(/'/g, "''")}'`)
    .join(' AND ');
  if (entry.eventName === 'INSERT') return `INSERT INTO "${entry.tableName}" VALUE {${Object.keys(key).map((k) => `'${k}' : ***(Redacted)`).join(', ')}, 'updatedBy' : ***(Redacted)}`;
  if (entry.eventName === 'MODIFY') return `UPDATE "${entry.tableName}" SET updatedBy = ***(Redacted) WHERE ${where}`;
  return `DELETE FROM "${entry.tableName}" WHERE ${where}`;
}

function chooseOperation(random: Random, entry: LedgerEntry, notLoggedRate: number): DemoOperation {
  if (entry.ttl) return 'ttl';
  if (random() < notLoggedRate) return 'not-logged';
  const r = random();
  if (entry.eventName === 'INSERT') return r < 0.6 ? 'PutItem' : r < 0.75 ? 'TransactWriteItems' : r < 0.9 ? 'BatchWriteItem' : 'ExecuteStatement';
  if (entry.eventName === 'MODIFY') return r < 0.6 ? 'UpdateItem' : r < 0.72 ? 'PutItem' : r < 0.86 ? 'TransactWriteItems' : 'ExecuteStatement';
  return r < 0.6 ? 'DeleteItem' : r < 0.78 ? 'BatchWriteItem' : r < 0.88 ? 'TransactWriteItems' : 'ExecuteStatement';
}

function requestParameters(operation: DemoOperation, entry: LedgerEntry, key: Record<string, string>, tableName: string): Record<string, unknown> {
  switch (operation) {
    case 'PutItem':
      return { tableName, key, item: [...Object.keys(key), 'updatedBy'], returnConsumedCapacity: 'TOTAL' };
    case 'UpdateItem':
      return { tableName, key, updateExpression: 'SET #u = :u', expressionAttributeNames: { '#u': 'updatedBy' }, returnConsumedCapacity: 'TOTAL' };
    case 'DeleteItem':
      return { tableName, key };
    case 'TransactWriteItems': {
      // As in AWS's example: the casing of tableName and key differs between operations.
      const write =
        entry.eventName === 'INSERT'
          ? { operation: 'Put', tableName: entry.tableName, key, items: [...Object.keys(key), 'updatedBy'] }
          : entry.eventName === 'MODIFY'
            ? { operation: 'Update', tableName: entry.tableName, key, updateExpression: 'SET #u = :u', ExpressionAttributeNames: { '#u': 'updatedBy' } }
            : { operation: 'Delete', TableName: entry.tableName, key };
      return { requestItems: [write], returnConsumedCapacity: 'TOTAL' };
    }
    case 'BatchWriteItem':
      // Not documented by AWS (see the header): a guess, relied on for nothing but the table name.
      return { requestItems: { [entry.tableName]: [entry.eventName === 'REMOVE' ? { deleteRequest: { key } } : { putRequest: { item: [...Object.keys(key), 'updatedBy'] } }] } };
    case 'ExecuteStatement':
      return { statement: partiqlStatement(entry, key) };
    default:
      throw new Error(`no request for ${operation}`);
  }
}

/** The CloudTrail records of the calls that made the ledger's changes, and who made each. */
export function demoCloudTrail(ledger: readonly LedgerEntry[], options: DemoCloudTrailOptions = {}): DemoCloudTrail {
  const random = seededRandom(options.seed ?? 7);
  const notLoggedRate = options.notLoggedRate ?? 0.02;
  const failedConditionRate = options.failedConditionRate ?? 0.06;
  const lateSecondRate = options.lateSecondRate ?? 0.3;
  const tableArnRate = options.tableArnRate ?? 0.1;
  const records: CloudTrailRecord[] = [];
  const callers: CallerEntry[] = [];
  let failedCalls = 0;

  const record = (entry: LedgerEntry, principal: DemoPrincipal, eventName: string, params: Record<string, unknown>, timeMs: number, errorCode?: string): CloudTrailRecord => ({
    eventVersion: '1.09',
    userIdentity: principal.userIdentity(entry.accountId),
    eventTime: new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'dynamodb.amazonaws.com',
    eventName,
    awsRegion: entry.region,
    sourceIPAddress: principal.sourceIPAddress,
    userAgent: principal.userAgent,
    ...(errorCode ? { errorCode, errorMessage: 'The conditional request failed' } : {}),
    requestParameters: params,
    responseElements: null,
    requestID: requestIdOf(random),
    eventID: eventIdOf(random),
    readOnly: false,
    resources: [{ accountId: entry.accountId, type: 'AWS::DynamoDB::Table', ARN: tableArn(entry) }],
    eventType: 'AwsApiCall',
    apiVersion: '2012-08-10',
    managementEvent: false,
    recipientAccountId: entry.accountId,
    eventCategory: 'Data',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `dynamodb.${entry.region}.amazonaws.com` },
  });

  for (const entry of ledger) {
    const operation = chooseOperation(random, entry, notLoggedRate);
    const principal = DEMO_PRINCIPALS[Math.floor(random() * DEMO_PRINCIPALS.length)] as DemoPrincipal;
    const key = JSON.parse(entry.itemKey) as Record<string, string>;
    // The SDK sends the key in the order the application wrote it; keep it unsorted on purpose.
    const sentKey = Object.fromEntries(Object.entries(key).reverse());
    const changeMs = Date.parse(entry.eventTime);
    if (operation === 'ttl' || operation === 'not-logged') {
      callers.push({ eventId: entry.eventId, operation, principalArn: null, cloudTrailEventId: null });
    } else {
      const tableName = random() < tableArnRate && ['PutItem', 'UpdateItem', 'DeleteItem'].includes(operation) ? tableArn(entry) : entry.tableName;
      const call = record(entry, principal, operation, requestParameters(operation, entry, sentKey, tableName), changeMs + (random() < lateSecondRate ? 1000 : 0));
      records.push(call);
      callers.push({ eventId: entry.eventId, operation, principalArn: (call.userIdentity as { arn: string }).arn, cloudTrailEventId: call.eventID as string });
    }
    if (!entry.ttl && random() < failedConditionRate) {
      // Another caller's conditional update of the same item, refused: an event, and no stream record.
      const other = DEMO_PRINCIPALS[Math.floor(random() * DEMO_PRINCIPALS.length)] as DemoPrincipal;
      const params = { tableName: entry.tableName, key: sentKey, updateExpression: 'SET #s = :s', conditionExpression: 'attribute_not_exists(#s)', expressionAttributeNames: { '#s': 'status' } };
      records.push(record(entry, other, 'UpdateItem', params, changeMs, 'ConditionalCheckFailedException'));
      failedCalls++;
    }
  }
  records.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
  return { records, callers, failedCalls };
}

/**
 * CloudTrail's delivery: the records of one account and region, grouped into one file per
 * delivery interval, each delivered at the end of its interval (so calls just before midnight
 * land in the next day's folder, as they can in a real trail).
 */
export function deliveryFiles(records: readonly CloudTrailRecord[], intervalMinutes = 15): { accountId: string; region: string; deliveredAt: Date; records: CloudTrailRecord[] }[] {
  const step = intervalMinutes * 60_000;
  const files = new Map<string, { accountId: string; region: string; deliveredAt: Date; records: CloudTrailRecord[] }>();
  for (const r of records) {
    const deliveredMs = (Math.floor(Date.parse(String(r.eventTime)) / step) + 1) * step;
    const accountId = String(r.recipientAccountId);
    const region = String(r.awsRegion);
    const id = `${accountId}/${region}/${deliveredMs}`;
    const file = files.get(id) ?? { accountId, region, deliveredAt: new Date(deliveredMs), records: [] };
    file.records.push(r);
    files.set(id, file);
  }
  return [...files.values()];
}
