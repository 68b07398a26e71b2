/**
 * Converts one change record (JSON text, as the collector sends it) into a row for the Parquet
 * schema derived from schemas/ — the local stand-in for Firehose's OpenX JSON deserializer plus
 * Parquet serializer. Field list and types come from CHANGE_RECORD_FIELDS; nothing is named here.
 *
 * A record that does not fit the schema is a conversion failure (Firehose writes those under
 * errors/format-conversion-failed/), never a silently reshaped row.
 */
import { CHANGE_RECORD_FIELDS, FieldDefinition } from '../../schemas/change-record';

const DATA_FIELDS: readonly FieldDefinition[] = CHANGE_RECORD_FIELDS.filter((f) => !('partition' in f && f.partition));

export type ParquetRow = Record<string, unknown>;

export class ConversionError extends Error {
  override name = 'ConversionError';
}

// ISO-8601 with an explicit UTC offset, as the collector writes (2026-03-01T12:00:00.000Z).
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

export function toParquetRow(line: string): ParquetRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new ConversionError(`not JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConversionError('not a JSON object');
  const record = parsed as Record<string, unknown>;
  const row: ParquetRow = {};
  for (const field of DATA_FIELDS) {
    const value = record[field.name];
    if (value === null || value === undefined) {
      if (!field.nullable) throw new ConversionError(`${field.name} is required but ${value === null ? 'null' : 'missing'}`);
      continue; // parquetjs writes an absent optional field as null
    }
    row[field.name] = convertValue(field, value);
  }
  return row;
}

function convertValue(field: FieldDefinition, value: unknown): unknown {
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') throw mismatch(field, value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw mismatch(field, value);
      return value;
    case 'int':
      if (!Number.isInteger(value) || (value as number) < -(2 ** 31) || (value as number) >= 2 ** 31) throw mismatch(field, value);
      return value;
    case 'bigint':
      if (!Number.isSafeInteger(value)) throw mismatch(field, value);
      return value;
    case 'timestamp': {
      if (typeof value !== 'string' || !ISO_TIMESTAMP.test(value)) throw mismatch(field, value);
      const date = new Date(value);
      if (Number.isNaN(date.getTime())) throw mismatch(field, value);
      return date;
    }
    case 'string_list':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw mismatch(field, value);
      // 3-level LIST group: { list: [{ element }] } (see schemas/derive parquetSchemaDefinition)
      return { list: value.map((element: string) => ({ element })) };
  }
}

function mismatch(field: FieldDefinition, value: unknown): ConversionError {
  const shown = JSON.stringify(value);
  return new ConversionError(`${field.name} is not a ${field.type}: ${shown === undefined ? String(value) : shown.slice(0, 80)}`);
}
