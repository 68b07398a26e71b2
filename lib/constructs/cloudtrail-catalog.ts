/**
 * The Glue table `cloudtrail_events` over an existing trail's own S3 layout, next to the change
 * log, and the saved query that creates the view `audit_changes_attributed` (the attribution join
 * for ad-hoc SQL). Everything here is metadata: nothing is granted on the trail's bucket or key,
 * which stay the trail owner's to share (docs/attribution.md lists the grants to add).
 *
 * The table follows AWS's CloudTrail table for Athena with partition projection
 * (https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html):
 * CloudTrailInputFormat with the Hive JSON SerDe, region and the day (yyyy/MM/dd) projected. For
 * an organization trail the account is a path segment too
 * (https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-org-wide-trail.html).
 *
 * Why account_id is an enum of the onboarded accounts, not `injected`: Athena requires a static
 * equality predicate on an injected column in every query
 * (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html), and
 * change-attribution runs across every account when none is given. Attribution only needs the
 * accounts whose tables are onboarded, so the enum is exactly the config's source accounts (plus
 * the audit account, for the heartbeat). Its cost: with no account_id, a query projects
 * accounts x regions x days partitions (1,000 accounts x 1 region x 3 days = 3,000, far under
 * Athena's 1,000,000 per query), above the "few dozen" values AWS suggests for an enum; give
 * account_id for a large organization (docs/attribution.md).
 *
 * Without a trail (no attribution.cloudTrail) the table still exists, with the same columns and
 * partition keys but no projection and no partition, so that actor-activity (which every
 * deployment has, as a saved query) runs and reports cloudtrail-unavailable instead of failing on
 * a missing table. Athena reads a partitioned table's data through the partitions the Data Catalog
 * holds (https://repost.aws/knowledge-center/athena-create-use-partitioned-tables: "The table
 * refers to the Data Catalog when you run your queries"; with none loaded a query returns zero
 * records, https://repost.aws/knowledge-center/athena-empty-results), so nothing under its location
 * is listed or read. Not verified against real AWS: the first deploy without a trail proves it when
 * actor-activity runs in the workgroup and returns rows with cloudtrail-unavailable. The table's
 * construct path is the same with and without a trail, so configuring one later updates the table
 * in place rather than creating a second table of the same name.
 */
import { CfnNamedQuery } from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ATTRIBUTED_VIEW_NAME,
  CLOUDTRAIL_EVENT_FIELDS,
  CLOUDTRAIL_PARTITION_KEYS,
  CLOUDTRAIL_TABLE_NAME,
  CloudTrailPartitionKey,
  columnName,
  glueType,
} from '../../schemas/cloudtrail-events';
import { findPlaceholders, substitutePlaceholders } from '../../cli/query/placeholders';

export interface CloudTrailCatalogProps {
  /** The Glue database of the change log (the view joins the two tables in it). */
  readonly databaseName: string;
  /**
   * The trail's bucket (read only; in any account).
   * @default none: no trail is configured, and the table is empty on purpose (give emptyLocation)
   */
  readonly bucketName?: string;
  /**
   * Without a trail: the S3 location the empty table names. Never read (the table has no
   * partition); point it at a prefix nothing writes, in a bucket the stack owns.
   * @default none (required without bucketName, refused with it)
   */
  readonly emptyLocation?: string;
  /** The trail's key prefix. @default none */
  readonly prefix?: string;
  /** The organization id of an organization trail. @default none (an account trail) */
  readonly organizationId?: string;
  /** Projected values of account_id: the accounts whose tables are onboarded. */
  readonly accountIds: readonly string[];
  /** Projected values of region: the regions of the onboarded tables. */
  readonly regions: readonly string[];
  /** First projected day, yyyy-MM-dd. */
  readonly projectionStartDate: string;
  /** The workgroup the view's saved query belongs to. */
  readonly workGroupName: string;
}

/** The attribution query whose join the view serves. */
export const ATTRIBUTION_QUERY_FILE = 'change-attribution.sql';

// What the view fixes the query's parameters to: every day (dt's projection bounds the scan, the
// CloudTrail day range stays a valid date), every account, table, item and caller, no heartbeat.
const VIEW_PARAMETERS: Readonly<Record<string, string>> = {
  from: '1970-01-02',
  to: '9999-12-30',
  account_id: '*',
  table_name: '*',
  item_key: '*',
  principal: '*',
  include_heartbeat: 'false',
};

/** CREATE OR REPLACE VIEW audit_changes_attributed over the bundled query, its parameters fixed. */
export function attributedViewSql(queryText: string): string {
  const body = queryText
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .join('\n')
    .trim();
  for (const use of findPlaceholders(body)) {
    if (VIEW_PARAMETERS[use.name] === undefined) throw new Error(`${ATTRIBUTION_QUERY_FILE} has a parameter :${use.name} the view does not fix`);
  }
  return `CREATE OR REPLACE VIEW ${ATTRIBUTED_VIEW_NAME} AS\n${substitutePlaceholders(body, VIEW_PARAMETERS)}`;
}

/** The table's columns and partition keys: the same with and without a trail. */
function cloudTrailColumns(): Pick<glue.CfnTable.TableInputProperty, 'partitionKeys'> & { columns: glue.CfnTable.ColumnProperty[] } {
  return {
    partitionKeys: CLOUDTRAIL_PARTITION_KEYS.map((name) => ({ name, type: 'string' })),
    columns: CLOUDTRAIL_EVENT_FIELDS.map((f) => ({ name: columnName(f), type: glueType(f) })),
  };
}

const STORAGE = {
  inputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
} as const;

export class CloudTrailCatalog extends Construct {
  public readonly table: glue.CfnTable;
  /**
   * Run once (and after each upgrade) to create the view: Athena views are made by DDL, not
   * CloudFormation. Only with a trail.
   */
  public readonly viewQuery?: CfnNamedQuery;

  constructor(scope: Construct, id: string, props: CloudTrailCatalogProps) {
    super(scope, id);
    if ((props.bucketName === undefined) === (props.emptyLocation === undefined)) {
      throw new Error(`CloudTrailCatalog needs exactly one of bucketName (a trail) and emptyLocation (no trail); got ${props.bucketName === undefined ? 'neither' : 'both'}`);
    }
    const { partitionKeys, columns } = cloudTrailColumns();
    if (props.bucketName === undefined) {
      this.table = new glue.CfnTable(this, 'Table', {
        catalogId: Stack.of(this).account,
        databaseName: props.databaseName,
        tableInput: {
          name: CLOUDTRAIL_TABLE_NAME,
          description: 'No trail is configured (attribution.cloudTrail): empty on purpose, no partitions, so queries that join it run and say cloudtrail-unavailable (docs/attribution.md).',
          tableType: 'EXTERNAL_TABLE',
          partitionKeys,
          parameters: { classification: 'cloudtrail' },
          storageDescriptor: { location: props.emptyLocation, ...STORAGE, columns },
        },
      });
      return;
    }
    const prefix = props.prefix ? `${props.prefix}/` : '';
    const org = props.organizationId ? `${props.organizationId}/` : '';
    const root = `s3://${props.bucketName}/${prefix}AWSLogs/${org}`;
    const template: Record<CloudTrailPartitionKey, string> = { account_id: '${account_id}', region: '${region}', log_date: '${log_date}' };
    const startDay = props.projectionStartDate.replace(/-/g, '/');
    const stack = Stack.of(this);

    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: props.databaseName,
      tableInput: {
        name: CLOUDTRAIL_TABLE_NAME,
        description: 'CloudTrail log records of the trail in attribution.cloudTrail (read only). Filter on account_id, region and log_date (yyyy/MM/dd, the delivery day).',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys,
        parameters: {
          classification: 'cloudtrail',
          'projection.enabled': 'true',
          'projection.account_id.type': 'enum',
          'projection.account_id.values': props.accountIds.join(','),
          'projection.region.type': 'enum',
          'projection.region.values': props.regions.join(','),
          'projection.log_date.type': 'date',
          'projection.log_date.format': 'yyyy/MM/dd',
          'projection.log_date.range': `${startDay},NOW`,
          'projection.log_date.interval': '1',
          'projection.log_date.interval.unit': 'DAYS',
          'storage.location.template': `${root}${template.account_id}/CloudTrail/${template.region}/${template.log_date}`,
        },
        storageDescriptor: { location: root, ...STORAGE, columns },
      },
    });

    // Always the bundled query: the view is its join, whatever other saved queries a deployment has.
    const queryText = readFileSync(join(__dirname, '..', '..', 'athena-queries', ATTRIBUTION_QUERY_FILE), 'utf8');
    this.viewQuery = new CfnNamedQuery(this, 'CreateAttributedView', {
      name: `create-view-${ATTRIBUTED_VIEW_NAME}`,
      description: `Creates (or replaces) the view ${ATTRIBUTED_VIEW_NAME}: change-attribution over every day, account and table. Run once after each deploy that changes it (docs/attribution.md).`,
      database: props.databaseName,
      workGroup: props.workGroupName,
      queryString: attributedViewSql(queryText),
    });
  }
}
