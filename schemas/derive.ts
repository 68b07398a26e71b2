/**
 * Everything derived from the change-record schema. Nothing here names a field: it walks
 * CHANGE_RECORD_FIELDS, so adding a field there updates Glue, Parquet and the hash together.
 *
 * Plain data only (no aws-cdk-lib, no parquet library), so the CDK stacks, the Lambda and the
 * local pipeline can all use it.
 */
import { CHANGE_RECORD_FIELDS, FieldDefinition, FieldType, SCHEMA_VERSION } from './change-record';

const FIELDS: readonly FieldDefinition[] = CHANGE_RECORD_FIELDS;

/** Hive/Glue type strings, as Athena (Trino) reads Firehose's Parquet. */
const GLUE_TYPES: Record<FieldType, string> = {
  string: 'string',
  boolean: 'boolean',
  int: 'int',
  bigint: 'bigint',
  timestamp: 'timestamp',
  string_list: 'array<string>',
};

export interface GlueColumnSpec {
  readonly name: string;
  readonly type: string;
  readonly comment: string;
}

/** Data columns of the Glue table, in schema order. Partition keys are excluded. */
export function glueDataColumns(): GlueColumnSpec[] {
  return FIELDS.filter((f) => !f.partition).map((f) => ({ name: f.name, type: GLUE_TYPES[f.type], comment: truncateComment(f.doc) }));
}

/** Partition keys of the Glue table, in schema order. All strings: account ids keep leading zeros. */
export function gluePartitionKeys(): GlueColumnSpec[] {
  return FIELDS.filter((f) => f.partition).map((f) => ({ name: f.name, type: GLUE_TYPES[f.type], comment: truncateComment(f.doc) }));
}

/**
 * The Parquet storage format of the Glue table and of every partition registered in it (Hive's
 * Parquet classes, as Firehose's record format conversion writes and Athena reads them). One
 * definition: a partition whose format differs from its table's is read with the partition's.
 */
export const GLUE_PARQUET_FORMAT = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

// Glue rejects column comments over 255 characters.
function truncateComment(doc: string): string {
  return doc.length <= 255 ? doc : `${doc.slice(0, 252)}...`;
}

/**
 * DuckDB type of each logical type. The local Firehose writes Parquet through DuckDB with these
 * (timestamps as INT64 TIMESTAMP_MILLIS, lists as 3-level LIST groups, as Athena reads Firehose's
 * files), and the tests read our Parquet back expecting them.
 */
export const DUCKDB_TYPES: Record<FieldType, string> = {
  string: 'VARCHAR',
  boolean: 'BOOLEAN',
  int: 'INTEGER',
  bigint: 'BIGINT',
  timestamp: 'TIMESTAMP',
  string_list: 'VARCHAR[]',
};

/**
 * The hashed fields of one schema version, in schema order: the canonical content behind record_hash
 * (a field added in a later version is not part of an earlier version's form).
 */
export function hashedFieldNames(version: number = SCHEMA_VERSION): string[] {
  return FIELDS.filter((f) => f.hashed && (f.sinceVersion ?? 1) <= version).map((f) => f.name);
}

/**
 * The item-sized fields, in schema order: those the collector may move to an overflow object, leaving
 * them null in the pointer (lambda/core/overflow-pointer.ts). Each must therefore be nullable.
 */
export function itemSizedFieldNames(): string[] {
  return FIELDS.filter((f) => f.itemSized).map((f) => f.name);
}

/** A JSON Schema (draft 2020-12) of one change record as sent to Firehose, for external validators. */
export function changeRecordJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const base = jsonSchemaType(f.type);
    properties[f.name] = f.nullable ? { anyOf: [base, { type: 'null' }], description: f.doc } : { ...base, description: f.doc };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/ddb-audit/ddb-audit/schemas/change-record.json',
    title: 'DynamoDB audit change record',
    type: 'object',
    additionalProperties: false,
    required: FIELDS.map((f) => f.name),
    properties,
  };
}

function jsonSchemaType(type: FieldType): Record<string, unknown> {
  switch (type) {
    case 'string':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'int':
    case 'bigint':
      return { type: 'integer' };
    case 'timestamp':
      return { type: 'string', format: 'date-time' };
    case 'string_list':
      return { type: 'array', items: { type: 'string' } };
  }
}
