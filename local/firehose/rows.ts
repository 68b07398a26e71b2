/**
 * Whether one change record (parsed from the JSON text the collector sends) fits the Parquet
 * schema derived from schemas/: the local stand-in for the checks Firehose's OpenX JSON
 * deserializer and Parquet serializer make. Field list and types come from CHANGE_RECORD_FIELDS;
 * nothing is named here.
 *
 * A record that does not fit is a conversion failure (Firehose writes those under
 * errors/format-conversion-failed/), never a silently reshaped row. The Parquet writer
 * (parquet-writer.ts) is stricter still (it casts every column), but it is lenient where
 * DuckDB's JSON reader is ("42" reads as a BIGINT, null as a required field), so the
 * schema's types and nullability are checked here first.
 */
import { CHANGE_RECORD_FIELDS, FieldDefinition } from '../../schemas/change-record';

/** The Parquet data columns, in schema order: every field but the partition keys. */
export const DATA_FIELDS: readonly FieldDefinition[] = CHANGE_RECORD_FIELDS.filter((f) => !('partition' in f && f.partition));

// ISO-8601 with an explicit UTC offset, as the collector writes (2026-03-01T12:00:00.000Z).
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

/** Why `record` does not fit the Parquet schema, or undefined when it does. */
export function conversionProblem(record: Record<string, unknown>): string | undefined {
  for (const field of DATA_FIELDS) {
    const value = record[field.name];
    if (value === null || value === undefined) {
      if (!field.nullable) return `${field.name} is required but ${value === null ? 'null' : 'missing'}`;
      continue;
    }
    if (!fits(field, value)) {
      const shown = JSON.stringify(value);
      return `${field.name} is not a ${field.type}: ${shown === undefined ? String(value) : shown.slice(0, 80)}`;
    }
  }
  return undefined;
}

function fits(field: FieldDefinition, value: unknown): boolean {
  switch (field.type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'int':
      return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
    case 'bigint':
      return Number.isSafeInteger(value);
    case 'timestamp':
      return typeof value === 'string' && ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
    case 'string_list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
  }
}
