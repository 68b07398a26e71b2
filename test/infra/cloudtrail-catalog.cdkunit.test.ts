/**
 * The CloudTrail table and the attributed view's saved query: the construct alone for its
 * variants, and the whole audit app with attribution.cloudTrail configured, synthesized once with
 * the real CDK synthesizer and cdk-nag.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Parser } from 'node-sql-parser';
import { ATTRIBUTION_QUERY_FILE, attributedViewSql, CloudTrailCatalog, CloudTrailCatalogProps } from '../../lib/constructs/cloudtrail-catalog';
import { findPlaceholders } from '../../cli/query/placeholders';
import { ATTRIBUTED_VIEW_NAME, CLOUDTRAIL_EVENT_FIELDS, CLOUDTRAIL_NOT_CONFIGURED_PREFIX, CLOUDTRAIL_TABLE_NAME, columnName, glueType } from '../../schemas/cloudtrail-events';
import { buildTestApp, exampleConfig, REPO_ROOT } from '../support/audit-app';

const props: CloudTrailCatalogProps = {
  databaseName: 'ddb_audit',
  bucketName: 'org-trail-bucket',
  accountIds: ['012345678901', '222222222222'],
  regions: ['eu-west-1'],
  projectionStartDate: '2026-01-01',
  workGroupName: 'ddb-audit',
};

function tableOf(extra: Partial<CloudTrailCatalogProps> = {}): { input: any; template: Template } {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  new CloudTrailCatalog(stack, 'Attribution', { ...props, ...extra });
  const template = Template.fromStack(stack);
  const [table] = Object.values(template.findResources('AWS::Glue::Table')) as [any];
  return { input: table.Properties.TableInput, template };
}

describe('CloudTrailCatalog', () => {
  test('an organization trail with a prefix: the account, region and day of its layout are projected', () => {
    const { input } = tableOf({ prefix: 'security/trails', organizationId: 'o-a1b2c3d4e5' });
    expect(input.Name).toBe(CLOUDTRAIL_TABLE_NAME);
    expect(input.StorageDescriptor.Location).toBe('s3://org-trail-bucket/security/trails/AWSLogs/o-a1b2c3d4e5/');
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.account_id.type': 'enum',
      'projection.account_id.values': '012345678901,222222222222',
      'projection.region.values': 'eu-west-1',
      'projection.log_date.type': 'date',
      'projection.log_date.format': 'yyyy/MM/dd',
      'projection.log_date.range': '2026/01/01,NOW',
      'storage.location.template': 's3://org-trail-bucket/security/trails/AWSLogs/o-a1b2c3d4e5/${account_id}/CloudTrail/${region}/${log_date}',
    });
    expect(input.PartitionKeys).toEqual([
      { Name: 'account_id', Type: 'string' },
      { Name: 'region', Type: 'string' },
      { Name: 'log_date', Type: 'string' },
    ]);
  });

  test('an account trail without a prefix sits right under AWSLogs/', () => {
    const { input } = tableOf();
    expect(input.Parameters['storage.location.template']).toBe('s3://org-trail-bucket/AWSLogs/${account_id}/CloudTrail/${region}/${log_date}');
  });

  test("reads CloudTrail's format with the columns of the shared schema, and grants nothing on the trail", () => {
    const { input, template } = tableOf();
    expect(input.StorageDescriptor.InputFormat).toBe('com.amazon.emr.cloudtrail.CloudTrailInputFormat');
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hive.hcatalog.data.JsonSerDe');
    expect(input.StorageDescriptor.Columns).toEqual(CLOUDTRAIL_EVENT_FIELDS.map((f) => ({ Name: columnName(f), Type: glueType(f) })));
    expect(input.StorageDescriptor.Columns.find((c: { Name: string }) => c.Name === 'useridentity').Type).toContain('sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,sessionissuer:struct<type:string,principalid:string,arn:string');
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.resourceCountIs('AWS::S3::BucketPolicy', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  test('saves the view DDL as a named query in the workgroup', () => {
    const { template } = tableOf();
    template.hasResourceProperties('AWS::Athena::NamedQuery', { Name: `create-view-${ATTRIBUTED_VIEW_NAME}`, WorkGroup: 'ddb-audit', Database: 'ddb_audit' });
  });
});

describe('the attributed view', () => {
  const sql = attributedViewSql(readFileSync(join(REPO_ROOT, 'athena-queries', ATTRIBUTION_QUERY_FILE), 'utf8'));

  test('is the bundled query with every parameter fixed, and parses as Trino SQL', () => {
    expect(sql.startsWith(`CREATE OR REPLACE VIEW ${ATTRIBUTED_VIEW_NAME} AS\nWITH scoped AS (`)).toBe(true);
    expect(findPlaceholders(sql)).toEqual([]);
    expect(sql).toContain("WHERE dt BETWEEN '1970-01-02' AND '9999-12-30'");
    expect(sql).toContain("('*' = '*' OR account_id = '*')");
    expect(() => new Parser().astify(sql.slice(sql.indexOf('\n') + 1), { database: 'trino' })).not.toThrow();
  });

  test('refuses a query with a parameter it does not know how to fix', () => {
    expect(() => attributedViewSql("-- x\nSELECT * FROM t WHERE a = :actor")).toThrow('change-attribution.sql has a parameter :actor the view does not fix');
  });
});

describe('the audit app with attribution.cloudTrail', () => {
  test('synthesizes with the table and the view query, and cdk-nag finds nothing', () => {
    const config = { ...exampleConfig(), attribution: { cloudTrail: { bucket: 'org-trail-bucket', organizationId: 'o-a1b2c3d4e5' } } };
    const { app, stacks } = buildTestApp(config, { nag: true });
    app.synth();
    const template = Template.fromStack(stacks.audit);
    template.hasResourceProperties('AWS::Glue::Table', { TableInput: { Name: CLOUDTRAIL_TABLE_NAME } });
    const [table] = Object.values(template.findResources('AWS::Glue::Table', { Properties: { TableInput: { Name: CLOUDTRAIL_TABLE_NAME } } })) as [any];
    const accounts = new Set(config.sources.map((s) => s.streamArn.split(':')[4]));
    expect(new Set(table.Properties.TableInput.Parameters['projection.account_id.values'].split(','))).toEqual(accounts);
    template.hasResourceProperties('AWS::Athena::NamedQuery', { Name: `create-view-${ATTRIBUTED_VIEW_NAME}` });
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  test('without it, the CloudTrail table still exists, empty on purpose: same columns, no projection, no trail, no view', () => {
    const { stacks } = buildTestApp(exampleConfig());
    const template = Template.fromStack(stacks.audit);
    const tables = Object.values(template.findResources('AWS::Glue::Table', { Properties: { TableInput: { Name: CLOUDTRAIL_TABLE_NAME } } })) as any[];
    expect(tables).toHaveLength(1);
    const input = tables[0].Properties.TableInput;
    expect(input.StorageDescriptor.Columns).toEqual(CLOUDTRAIL_EVENT_FIELDS.map((f) => ({ Name: columnName(f), Type: glueType(f) })));
    expect(input.PartitionKeys.map((k: { Name: string }) => k.Name)).toEqual(['account_id', 'region', 'log_date']);
    // No projection: Athena reads only the Data Catalog's partitions, of which there are none.
    expect(Object.keys(input.Parameters).filter((k) => k.startsWith('projection.') || k.startsWith('storage.'))).toEqual([]);
    // Its location is a prefix of the stack's own change-log bucket that nothing writes.
    expect(JSON.stringify(input.StorageDescriptor.Location)).toContain(CLOUDTRAIL_NOT_CONFIGURED_PREFIX);
    expect(JSON.stringify(input.StorageDescriptor.Location)).toMatch(/ChangeLog/);
    expect(Object.values(template.findResources('AWS::Athena::NamedQuery')).map((q: any) => q.Properties.Name)).not.toContain(`create-view-${ATTRIBUTED_VIEW_NAME}`);
  });

  test('with and without it, the table has one construct path, so configuring a trail later updates it in place', () => {
    const id = (config: ReturnType<typeof exampleConfig>) => Object.entries(Template.fromStack(buildTestApp(config).stacks.audit).findResources('AWS::Glue::Table', { Properties: { TableInput: { Name: CLOUDTRAIL_TABLE_NAME } } })).map(([logicalId]) => logicalId);
    const without = id(exampleConfig());
    expect(without).toHaveLength(1);
    expect(id({ ...exampleConfig(), attribution: { cloudTrail: { bucket: 'org-trail-bucket' } } })).toEqual(without);
  });

  test('refuses both a trail and an empty location, or neither', () => {
    const stack = () => new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
    expect(() => new CloudTrailCatalog(stack(), 'A', { ...props, emptyLocation: 's3://b/x/' })).toThrow('CloudTrailCatalog needs exactly one of bucketName (a trail) and emptyLocation (no trail); got both');
    const { bucketName: _bucket, ...noTrail } = props;
    expect(() => new CloudTrailCatalog(stack(), 'A', noTrail)).toThrow('got neither');
  });
});
