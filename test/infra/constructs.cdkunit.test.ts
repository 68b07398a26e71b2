/**
 * Constructs on their own, for the variants the example config does not exercise (no Lambda
 * bundling here, so each case is a cheap synth of a small stack).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AuditConfig } from '../../schemas/audit-config';
import { resolveSources } from '../../lib/config/load';
import { ChangeLogDelivery } from '../../lib/constructs/change-log-delivery';
import { PipelineAlarms } from '../../lib/constructs/pipeline-alarms';
import { describeQuery, QueryWorkgroup, readSavedQueries } from '../../lib/constructs/query-workgroup';
import { StreamSubscriptions } from '../../lib/constructs/stream-subscriptions';
import { collectorRoleArn, streamResourcePolicy } from '../../lib/stream-policy';
import { PARTITION_JQ_QUERY } from '../../schemas/partitioning';
import { queriesFolder } from '../support/audit-app';

const env = { account: '111111111111', region: 'eu-west-1' };
const newStack = () => new Stack(new App(), 'Test', { env });

const baseConfig: AuditConfig = {
  auditAccountId: '111111111111',
  region: 'eu-west-1',
  retention: { mode: 'COMPLIANCE', days: 30 },
  sources: [{ streamArn: 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000' }],
};

describe('StreamSubscriptions', () => {
  function subscriptionsTemplate(config: AuditConfig): Template {
    const stack = newStack();
    new StreamSubscriptions(stack, 'Streams', {
      collector: lambda.Function.fromFunctionName(stack, 'Fn', 'collector'),
      sources: resolveSources(config),
      failureBucket: s3.Bucket.fromBucketName(stack, 'Failures', 'failures'),
    });
    return Template.fromStack(stack);
  }

  test('leaves retries and record age unlimited when the config says -1', () => {
    const template = subscriptionsTemplate({ ...baseConfig, eventSource: { maxRetryAttempts: -1, maxRecordAgeSeconds: -1 } });
    const [mapping] = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as [any];
    expect(mapping.Properties.MaximumRetryAttempts).toBeUndefined();
    expect(mapping.Properties.MaximumRecordAgeInSeconds).toBeUndefined();
    expect(mapping.Properties.BatchSize).toBe(500);
  });

  test('with no sources creates no mapping and grants nothing (stream reads are granted on the collector role, constant in size)', () => {
    const template = subscriptionsTemplate({ ...baseConfig, sources: [] });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });
});

describe('ChangeLogDelivery', () => {
  test('with single packing extracts partition keys without deaggregating', () => {
    const stack = newStack();
    const table = new glue.CfnTable(stack, 'Table', { catalogId: '111111111111', databaseName: 'db', tableInput: { name: 't' } });
    new ChangeLogDelivery(stack, 'Delivery', {
      bucket: new s3.Bucket(stack, 'Bucket'),
      key: new kms.Key(stack, 'Key'),
      table,
      bufferIntervalSeconds: 60,
      bufferSizeMiB: 64,
      packing: 'single',
    });
    const [stream] = Object.values(Template.fromStack(stack).findResources('AWS::KinesisFirehose::DeliveryStream')) as [any];
    const dest = stream.Properties.ExtendedS3DestinationConfiguration;
    expect(dest.ProcessingConfiguration.Processors.map((p: { Type: string }) => p.Type)).toEqual(['MetadataExtraction']);
    expect(dest.ProcessingConfiguration.Processors[0].Parameters[0].ParameterValue).toBe(PARTITION_JQ_QUERY);
    expect(dest.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 64 });
  });
});

describe('QueryWorkgroup', () => {
  function namedQueryCount(queriesDir: string): number {
    const stack = newStack();
    new QueryWorkgroup(stack, 'Queries', { resultsBucket: s3.Bucket.fromBucketName(stack, 'R', 'results'), key: new kms.Key(stack, 'Key'), bytesScannedCutoffPerQueryMiB: 100, queriesDir });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Athena::WorkGroup', 1);
    return Object.keys(template.findResources('AWS::Athena::NamedQuery')).length;
  }

  test('creates no named query from an empty or missing folder', () => {
    expect(namedQueryCount(mkdtempSync(join(tmpdir(), 'empty-queries-')))).toBe(0);
    expect(namedQueryCount(join(tmpdir(), 'no-such-folder-ddb-audit'))).toBe(0);
  });

  test('reads only .sql files, in name order', () => {
    const dir = queriesFolder({ 'b.sql': 'SELECT 2', 'a.sql': '-- a: first\nSELECT 1', 'README.md': '# not a query' });
    expect(readSavedQueries(dir).map((q) => [q.name, q.description])).toEqual([
      ['a', 'a: first'],
      ['b', 'b'],
    ]);
  });

  test('keeps a description within Athena\'s 1024 characters', () => {
    expect(describeQuery(`-- Purpose: ${'x'.repeat(2000)}\nSELECT 1`, 'f')).toHaveLength(1024);
  });
});

describe('PipelineAlarms', () => {
  test('subscribes no e-mail when alarmEmail is not set', () => {
    const stack = newStack();
    const table = new glue.CfnTable(stack, 'Table', { catalogId: '111111111111', databaseName: 'db', tableInput: { name: 't' } });
    const key = new kms.Key(stack, 'Key');
    const delivery = new ChangeLogDelivery(stack, 'Delivery', { bucket: new s3.Bucket(stack, 'B'), key, table, bufferIntervalSeconds: 60, bufferSizeMiB: 64, packing: 'ndjson' });
    new PipelineAlarms(stack, 'Alarms', {
      key,
      collector: lambda.Function.fromFunctionName(stack, 'Fn', 'collector'),
      collectorLogGroup: new logs.LogGroup(stack, 'Logs'),
      deliveryStreams: [delivery.deliveryStream as firehose.IDeliveryStream],
      bufferIntervalSeconds: 60,
      failureBucket: s3.Bucket.fromBucketName(stack, 'F', 'failures'),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::SNS::Topic', 1);
  });
});

describe('streamResourcePolicy for TableV2 users', () => {
  test('is accepted as a TableV2 streamResourcePolicy and lands on the stream', () => {
    const stack = newStack();
    const role = collectorRoleArn({ auditAccountId: '111111111111', region: 'eu-west-1' });
    new dynamodb.TableV2(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      streamResourcePolicy: iam.PolicyDocument.fromJson(streamResourcePolicy(role)),
    });
    const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::GlobalTable')) as [any];
    expect(table.Properties.Replicas[0].ReplicaStreamSpecification.ResourcePolicy.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DdbAuditCollectorReadsStream',
          Effect: 'Allow',
          Principal: { AWS: role },
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: '*',
        },
      ],
    });
  });
});
