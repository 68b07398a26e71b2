/** The schema is written once; these prove that everything derived from it agrees. */
import { CHANGE_RECORD_FIELDS, FIELD_NAMES, PARTITION_KEYS } from '../../schemas/change-record';
import { changeRecordJsonSchema, DUCKDB_TYPES, glueDataColumns, gluePartitionKeys, hashedFieldNames, itemSizedFieldNames } from '../../schemas/derive';
import { DATA_FIELDS } from '../../local/firehose/rows';
import { copyStatement } from '../../local/firehose/parquet-writer';
import { FIREHOSE_S3_PREFIX, PARTITION_JQ_QUERY, partitionPath } from '../../schemas/partitioning';
import { canonicalContent } from '../../lambda/core/record-hash';
import { normalizeRecord } from '../../lambda/core/normalize';
import { loadEvent } from '../events/load';

describe('schema derivations', () => {
  it('Glue data columns plus partition keys are exactly the schema fields, partition keys last', () => {
    expect([...glueDataColumns(), ...gluePartitionKeys()].map((c) => c.name).sort()).toEqual([...FIELD_NAMES].sort());
    expect(gluePartitionKeys().map((c) => c.name)).toEqual([...PARTITION_KEYS]);
    expect(gluePartitionKeys().every((c) => c.type === 'string')).toBe(true);
  });

  it('the local Parquet writer writes exactly the Glue data columns, in the same order, lower case', () => {
    expect(DATA_FIELDS.map((f) => f.name)).toEqual(glueDataColumns().map((c) => c.name));
    expect(DATA_FIELDS.every((f) => f.name === f.name.toLowerCase())).toBe(true);
    expect(copyStatement('in.ndjson', 'out.parquet')).toContain('"changed_attributes"');
  });

  it('maps logical types to Glue and Parquet types Athena reads', () => {
    const glue = Object.fromEntries(glueDataColumns().map((c) => [c.name, c.type]));
    expect(glue.event_time).toBe('timestamp');
    expect(glue.changed_attributes).toBe('array<string>');
    expect(glue.size_bytes).toBe('bigint');
    expect(DUCKDB_TYPES).toMatchObject({ timestamp: 'TIMESTAMP', string_list: 'VARCHAR[]', bigint: 'BIGINT' });
    expect(copyStatement('in.ndjson', 'out.parquet')).toContain('AS TIMESTAMP_MS) AS "event_time"');
  });

  it('a normalized record has every field the JSON Schema requires, and no more', () => {
    const schema = changeRecordJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    const record = normalizeRecord(loadEvent('aws-docs-sample').Records[0]);
    expect(Object.keys(record).sort()).toEqual([...schema.required].sort());
    expect(Object.keys(schema.properties)).toEqual([...FIELD_NAMES]);
  });

  it('record_hash covers every hashed field and only those', () => {
    const record = normalizeRecord(loadEvent('aws-docs-sample').Records[0]);
    expect(JSON.parse(canonicalContent(record))).toHaveLength(hashedFieldNames().length + 1);
    expect(hashedFieldNames()).not.toContain('processed_at');
    expect(hashedFieldNames()).not.toContain('record_hash');
    expect(hashedFieldNames()).toContain('new_image');
  });

  it('the Firehose JQ query, the S3 prefix and the local partition path use the same keys in the same order', () => {
    expect(PARTITION_JQ_QUERY).toBe('{account_id: .account_id, table_name: .table_name, dt: .dt}');
    expect(FIREHOSE_S3_PREFIX).toBe('changes/account_id=!{partitionKeyFromQuery:account_id}/table_name=!{partitionKeyFromQuery:table_name}/dt=!{partitionKeyFromQuery:dt}/');
    expect(partitionPath({ account_id: '012345678901', table_name: 'Orders', dt: '2026-03-01' })).toBe('changes/account_id=012345678901/table_name=Orders/dt=2026-03-01/');
  });

  it('every item-sized field can be null (an overflow pointer leaves it null), and overflow_fields names only them', () => {
    const byName = Object.fromEntries(CHANGE_RECORD_FIELDS.map((f) => [f.name, f]));
    expect(itemSizedFieldNames().length).toBeGreaterThanOrEqual(8);
    expect(itemSizedFieldNames().every((name) => byName[name]?.nullable && !('partition' in (byName[name] ?? {})))).toBe(true);
    expect(byName.overflow_fields).toMatchObject({ type: 'string_list', nullable: true });
    expect(hashedFieldNames()).not.toContain('overflow_fields');
    // Appended: fields written before it keep their positions.
    expect(FIELD_NAMES.indexOf('overflow_fields')).toBeGreaterThan(FIELD_NAMES.indexOf('raw_record'));
  });

  it('every field is documented', () => {
    expect(CHANGE_RECORD_FIELDS.every((f) => f.doc.length > 10)).toBe(true);
  });
});

describe('docs/change-record.md', () => {
  it('documents every change-record field, in schema order, with its Glue type', () => {
    const doc = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', '..', 'docs', 'change-record.md'), 'utf8') as string;
    const start = doc.indexOf('\n## Fields\n');
    const end = doc.indexOf('\n## `ddb-audit normalize`\n');
    expect({ start: start >= 0, end: end > start }).toEqual({ start: true, end: true });
    const section = doc.slice(start, end);
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| ([a-z<>]+)/gm)].map((m) => [m[1], m[2]]);
    const glue = Object.fromEntries([...glueDataColumns(), ...gluePartitionKeys()].map((c) => [c.name, c.type]));
    expect(rows).toEqual(FIELD_NAMES.map((name) => [name, glue[name]]));
  });
});
