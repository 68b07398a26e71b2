/**
 * The audit configuration: cdk.json context key `audit` (so `cdk synth -c audit=...` overrides work).
 *
 * This JSON Schema is the single source of truth for the config's shape; `AuditConfig` is derived
 * from it by json-schema-to-ts, and lib/config validates against it (ajv) before the semantic
 * checks that JSON Schema cannot express (ARN structure, duplicates, same region).
 * Key names are a contract: platform teams' cdk.json files use them.
 */
import type { FromSchema } from 'json-schema-to-ts';

const tuningProperties = {
  batchSize: {
    type: 'integer',
    minimum: 1,
    maximum: 10000,
    description: 'Stream records per Lambda invocation. @default 500',
  },
  maxBatchingWindowSeconds: {
    type: 'integer',
    minimum: 0,
    maximum: 300,
    description: 'Seconds to gather records before invoking. @default 5',
  },
  parallelizationFactor: {
    type: 'integer',
    minimum: 1,
    maximum: 10,
    description: 'Concurrent batches per shard. Order per item is kept by the stream sequence number either way. @default 1',
  },
  maxRetryAttempts: {
    type: 'integer',
    minimum: -1,
    maximum: 10000,
    description: 'Retries of a failing batch before it goes to the on-failure destination (-1: until the record expires). @default 10',
  },
  maxRecordAgeSeconds: {
    type: 'integer',
    minimum: -1,
    maximum: 604800,
    description: 'Records older than this go to the on-failure destination, which keeps them for replay (-1: never). Keep it well under the stream\'s 24 h retention, or an outage can trim records from the stream before they are handed over. @default 43200',
  },
} as const;

export const AUDIT_CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'ddb-audit configuration (cdk.json context key "audit")',
  type: 'object',
  additionalProperties: false,
  required: ['auditAccountId', 'region', 'retention', 'sources'],
  properties: {
    auditAccountId: {
      type: 'string',
      description: 'The central audit account (12 digits) that hosts the collector, Firehose, the log bucket and Athena.',
    },
    region: {
      type: 'string',
      description: 'The region of the audit stacks. Every source must be in it: cross-account stream reading works only in the same region.',
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      required: ['mode', 'days'],
      properties: {
        mode: { type: 'string', enum: ['GOVERNANCE', 'COMPLIANCE'], description: 'S3 Object Lock retention mode of every change-log object.' },
        days: { type: 'integer', minimum: 1, maximum: 36500, description: 'S3 Object Lock retention of every change-log object, in days.' },
        apply: {
          type: 'string',
          enum: ['per-object', 'bucket-default'],
          description:
            'How retention is applied. per-object: a function sets it on each new object (PutObjectRetention), so no writer needs to send a checksum. bucket-default: the bucket\'s default retention, which needs every writer (Firehose included) to send Content-MD5 or a checksum. @default "per-object"',
        },
      },
    },
    digest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        reservedConcurrency: {
          type: 'integer',
          minimum: 1,
          maximum: 1000,
          description: 'Reserved concurrency of the digest function. Conditional puts already make overlapping runs safe; reserving fails to deploy in accounts whose concurrency quota is low. @default none',
        },
      },
    },
    heartbeat: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', description: 'Write a heartbeat item through the whole pipeline and alarm when none lands. @default true' },
        intervalMinutes: { type: 'integer', minimum: 1, maximum: 60, description: 'Minutes between heartbeat items. @default 5' },
      },
    },
    watch: {
      type: 'object',
      additionalProperties: false,
      description: 'The stream-lifecycle watch: a scheduled check of every source\'s stream and event source mapping (docs/coverage.md).',
      properties: {
        enabled: { type: 'boolean', description: 'Deploy the watch (its function, role, schedule and alarms, and its statements in the source stacks). @default true' },
        intervalMinutes: {
          type: 'integer',
          minimum: 1,
          maximum: 15,
          description: 'Minutes between watch runs. A run may spend 80 % of its interval calling and must end inside Lambda\'s 15-minute maximum timeout, so at most 15. @default 5',
        },
        maxCallsPerSecond: {
          type: 'integer',
          minimum: 1,
          maximum: 250,
          description: 'Limit on the watch\'s API calls per second, all APIs together; at most 250, a tenth of DynamoDB\'s 2,500 control-plane requests per second. @default 50',
        },
      },
    },
    alarmEmail: { type: 'string', description: 'Address subscribed to the alarm topic. Optional: without it, subscribe to the topic yourself.' },
    eventSource: {
      type: 'object',
      additionalProperties: false,
      description: 'Event source mapping tuning for every source (a source may override each value).',
      properties: tuningProperties,
    },
    delivery: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bufferIntervalSeconds: { type: 'integer', minimum: 60, maximum: 900, description: 'Firehose buffer interval. Dynamic partitioning needs at least 60 s. @default 300' },
        bufferSizeMiB: { type: 'integer', minimum: 64, maximum: 128, description: 'Firehose buffer size. Format conversion needs at least 64 MiB. @default 128' },
        packing: {
          type: 'string',
          enum: ['ndjson', 'single'],
          description: 'ndjson packs many changes into one Firehose record (billed per 5 KB record); single sends one change per record. @default "ndjson"',
        },
        activePartitionQuota: {
          type: 'integer',
          minimum: 4,
          maximum: 5000,
          description:
            'The Firehose active-partition quota of each delivery stream in this account (500 unless AWS raised it, at most 5,000). The app creates as many delivery streams as the sources need at two partitions each (today\'s and yesterday\'s around midnight UTC), and refuses a config no stream count fits. @default 500',
        },
      },
    },
    athena: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bytesScannedCutoffPerQueryMiB: { type: 'integer', minimum: 10, description: 'Athena workgroup per-query scan limit. @default 10240' },
      },
    },
    attribution: {
      type: 'object',
      additionalProperties: false,
      description: 'Who made each change: CloudTrail data events joined to the log when read (docs/attribution.md).',
      properties: {
        cloudTrail: {
          type: 'object',
          additionalProperties: false,
          required: ['bucket'],
          description:
            'The trail that logs the source tables\' DynamoDB write data events. The audit stack only reads it: a Glue table cloudtrail_events over the trail\'s own S3 layout. The trail\'s owner grants the readers (docs/attribution.md).',
          properties: {
            bucket: { type: 'string', description: 'The trail\'s S3 bucket name.' },
            prefix: { type: 'string', description: 'The trail\'s S3 key prefix, without slashes at either end. @default none' },
            organizationId: { type: 'string', description: 'For an organization trail: the organization id (o-…), the folder after AWSLogs/. @default none (an account trail)' },
          },
        },
      },
    },
    projectionStartDate: {
      type: 'string',
      pattern: '^\\d{4}-\\d{2}-\\d{2}$',
      description: 'Ignored: partitions are registered, not projected (docs/queries.md). Accepted so existing configs stay valid. @default "2026-01-01"',
    },
    sources: {
      type: 'array',
      description: 'One entry per source table: onboarding is one entry here plus cdk deploy.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['streamArn'],
        properties: {
          streamArn: { type: 'string', description: 'The full stream ARN: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL.' },
          actorAttribute: { type: 'string', minLength: 1, description: 'Attribute of the item that names who made the change, e.g. updatedBy.' },
          redact: {
            type: 'array',
            items: { type: 'string', minLength: 1 },
            description:
              'Attribute paths whose values never leave the collector: dot-separated through maps (card.number), [*] for every list element (cards[*].number), \\. for a literal dot in a name. A path that reaches a value it cannot descend into redacts that whole value. Key attributes are never redacted. See docs/security.md, Redaction.',
          },
          keyAttributes: {
            type: 'array',
            items: { type: 'string', minLength: 1 },
            minItems: 1,
            maxItems: 2,
            uniqueItems: true,
            description: 'The table\'s key attribute names (partition key, then sort key, if any), as `sources add` can record them. When given, a redact path on a key attribute is refused: keys are never redacted. @default unknown (the collector then reports such a path at run time)',
          },
          kmsKeyArn: { type: 'string', description: 'The customer managed KMS key of the table, if any; the collector is granted kms:Decrypt on it.' },
          eventSource: { type: 'object', additionalProperties: false, properties: tuningProperties },
        },
      },
    },
  },
} as const;

export type AuditConfig = FromSchema<typeof AUDIT_CONFIG_SCHEMA>;
export type SourceConfig = AuditConfig['sources'][number];
export type EventSourceTuning = NonNullable<AuditConfig['eventSource']>;

/** Defaults applied where the config is silent. */
export const EVENT_SOURCE_DEFAULTS: Required<EventSourceTuning> = {
  batchSize: 500,
  maxBatchingWindowSeconds: 5,
  parallelizationFactor: 1,
  maxRetryAttempts: 10,
  // Half the stream's 24 h retention: a batch stuck that long is handed to the failure bucket
  // (with its full payload, for `ddb-audit replay`) while the stream still holds it.
  maxRecordAgeSeconds: 43200,
};

export const DELIVERY_DEFAULTS = {
  bufferIntervalSeconds: 300,
  bufferSizeMiB: 128,
  packing: 'ndjson' as 'ndjson' | 'single',
  /** Firehose's default active partitions per delivery stream (https://docs.aws.amazon.com/firehose/latest/dev/limits.html). */
  activePartitionQuota: 500,
};

export const DEFAULT_PROJECTION_START_DATE = '2026-01-01';

export type RetentionApply = 'per-object' | 'bucket-default';
export const DEFAULT_RETENTION_APPLY: RetentionApply = 'per-object';

export const HEARTBEAT_DEFAULTS = {
  enabled: true,
  intervalMinutes: 5,
};
/** The stream-lifecycle watch's settings where the config is silent. */
export const WATCH_DEFAULTS = {
  enabled: true,
  intervalMinutes: 5,
  /** 2 % of DynamoDB's 2,500 control-plane requests per second (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-control-plane.html). */
  maxCallsPerSecond: 50,
};
export const DEFAULT_BYTES_SCANNED_CUTOFF_MIB = 10240;

/**
 * Per-source options the collector applies at run time, keyed by the source TABLE ARN
 * (not the stream ARN: a stream re-enabled gets a new label, and redaction must not lapse then).
 */
export interface CollectorSourceOptions {
  readonly actorAttribute?: string;
  readonly redact?: readonly string[];
}
export type CollectorSourceOptionsByTable = Record<string, CollectorSourceOptions>;
