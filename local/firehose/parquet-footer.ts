/**
 * One correction to the footer of a Parquet file DuckDB wrote: timestamp columns get the
 * annotation Firehose-era readers treat as UTC.
 *
 * Why: DuckDB 1.5 writes a TIMESTAMP_MS column as converted type TIMESTAMP_MILLIS *plus* the
 * logical type TimestampType(isAdjustedToUTC=false, MILLIS), and has no option to say UTC
 * (duckdb/duckdb#20976 adds one after 1.5). parquet-mr, and so Athena, prefer the logical type and
 * would see a zone-less local timestamp. The legacy converted type TIMESTAMP_MILLIS alone means
 * "milliseconds since the epoch, UTC" (the Parquet spec's backward-compatibility rule maps it to
 * isAdjustedToUTC=true), which is what parquetjs-lite wrote and what DuckDB reads back as TIMESTAMP.
 * So the logical type is removed from those schema elements and everything else is kept byte for
 * byte. Only the footer changes; the data pages and every offset into them stay where they are.
 *
 * The footer is Thrift's compact protocol: no length prefixes in structs, so removing one field is
 * a splice plus, if another field follows, re-encoding that field's id delta.
 */
import { open } from 'node:fs/promises';

const MAGIC = 'PAR1';
// Thrift compact protocol type ids.
const T = { TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 } as const;
// parquet.thrift field ids.
const FILE_METADATA_SCHEMA = 2;
const SCHEMA_ELEMENT_CONVERTED_TYPE = 6;
const SCHEMA_ELEMENT_LOGICAL_TYPE = 10;
const CONVERTED_TIMESTAMP_MILLIS = 9;

interface Splice {
  /** Byte range of the removed field header and value. */
  readonly start: number;
  readonly end: number;
  /** Re-encoded header of the field after it (empty when the struct ends there). */
  readonly replacement: Buffer;
  /** Bytes of the old header of the field after it, replaced by `replacement`. */
  readonly replacedLength: number;
}

class CompactReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('Parquet footer ends early');
    return this.buf[this.pos++] as number;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  /** Field header: [type, id] (type 0 is STOP). */
  fieldHeader(previousId: number): [number, number] {
    const b = this.byte();
    if (b === 0) return [0, 0];
    const type = b & 0x0f;
    const delta = b >> 4;
    return [type, delta === 0 ? this.zigzag() : previousId + delta];
  }

  listHeader(): [number, number] {
    const b = this.byte();
    const size = b >> 4;
    return [b & 0x0f, size === 15 ? this.varint() : size];
  }

  skip(type: number): void {
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        return;
      case T.BYTE:
        this.pos += 1;
        return;
      case T.I16:
      case T.I32:
      case T.I64:
        this.varint();
        return;
      case T.DOUBLE:
        this.pos += 8;
        return;
      case T.BINARY: {
        const length = this.varint();
        this.pos += length;
        return;
      }
      case T.LIST:
      case T.SET: {
        const [elementType, size] = this.listHeader();
        // Booleans inside a list are one byte each (not folded into a header).
        for (let i = 0; i < size; i++) elementType === T.TRUE || elementType === T.FALSE ? this.pos++ : this.skip(elementType);
        return;
      }
      case T.MAP: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(types >> 4);
          this.skip(types & 0x0f);
        }
        return;
      }
      case T.STRUCT:
        this.skipStruct();
        return;
      default:
        throw new Error(`Parquet footer: unknown Thrift type ${type} at byte ${this.pos}`);
    }
  }

  skipStruct(): void {
    let id = 0;
    for (;;) {
      const [type, fieldId] = this.fieldHeader(id);
      if (type === 0) return;
      this.skip(type);
      id = fieldId;
    }
  }
}

function fieldHeaderBytes(type: number, id: number, previousId: number): Buffer {
  const delta = id - previousId;
  if (delta > 0 && delta <= 15) return Buffer.from([(delta << 4) | type]);
  const zigzag = id >= 0 ? id * 2 : -id * 2 - 1;
  const bytes = [type];
  let v = zigzag;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** Finds the logicalType fields of TIMESTAMP_MILLIS schema elements in a FileMetaData struct. */
function findTimestampLogicalTypes(footer: Buffer): Splice[] {
  const reader = new CompactReader(footer);
  const splices: Splice[] = [];
  let id = 0;
  for (;;) {
    const [type, fieldId] = reader.fieldHeader(id);
    if (type === 0) return splices;
    if (fieldId === FILE_METADATA_SCHEMA && type === T.LIST) {
      const [elementType, size] = reader.listHeader();
      if (elementType !== T.STRUCT) throw new Error('Parquet footer: schema is not a list of structs');
      for (let i = 0; i < size; i++) {
        const splice = scanSchemaElement(reader);
        if (splice) splices.push(splice);
      }
    } else {
      reader.skip(type);
    }
    id = fieldId;
  }
}

function scanSchemaElement(reader: CompactReader): Splice | undefined {
  let id = 0;
  let convertedType: number | undefined;
  let logical: { start: number; end: number; previousId: number } | undefined;
  // The field right after logicalType, if any: its id delta was relative to logicalType's id.
  let next: { type: number; id: number; headerLength: number } | undefined;
  for (;;) {
    const start = reader.pos;
    const [type, fieldId] = reader.fieldHeader(id);
    if (type === 0) break;
    if (logical && logical.end === start) next = { type, id: fieldId, headerLength: reader.pos - start };
    if (fieldId === SCHEMA_ELEMENT_CONVERTED_TYPE && type === T.I32) convertedType = reader.zigzag();
    else reader.skip(type);
    if (fieldId === SCHEMA_ELEMENT_LOGICAL_TYPE) logical = { start, end: reader.pos, previousId: id };
    id = fieldId;
  }
  if (convertedType !== CONVERTED_TIMESTAMP_MILLIS || !logical) return undefined;
  return {
    start: logical.start,
    end: logical.end,
    replacement: next ? fieldHeaderBytes(next.type, next.id, logical.previousId) : Buffer.alloc(0),
    replacedLength: next ? next.headerLength : 0,
  };
}

/** The footer with the timestamp logical types removed (the same bytes when there are none). */
export function legacyTimestampFooter(footer: Buffer): Buffer {
  const splices = findTimestampLogicalTypes(footer);
  if (splices.length === 0) return footer;
  const parts: Buffer[] = [];
  let at = 0;
  for (const s of splices) {
    parts.push(footer.subarray(at, s.start), s.replacement);
    at = s.end + s.replacedLength;
  }
  parts.push(footer.subarray(at));
  return Buffer.concat(parts);
}

/** Rewrites the footer of the Parquet file at `path` in place (see the module comment). */
export async function useLegacyTimestampAnnotation(path: string): Promise<void> {
  const file = await open(path, 'r+');
  try {
    const { size } = await file.stat();
    const tail = Buffer.alloc(8);
    await file.read(tail, 0, 8, size - 8);
    if (tail.toString('latin1', 4) !== MAGIC) throw new Error(`${path} is not a Parquet file`);
    const footerLength = tail.readUInt32LE(0);
    const footerStart = size - 8 - footerLength;
    const footer = Buffer.alloc(footerLength);
    await file.read(footer, 0, footerLength, footerStart);
    const patched = legacyTimestampFooter(footer);
    if (patched === footer) return;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(patched.length, 0);
    trailer.write(MAGIC, 4, 'latin1');
    await file.write(Buffer.concat([patched, trailer]), 0, patched.length + 8, footerStart);
    await file.truncate(footerStart + patched.length + 8);
  } finally {
    await file.close();
  }
}
