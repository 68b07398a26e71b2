/**
 * Evidence rows: the CSV spelling, and recomputing record_hash from an exported row (JSON Lines,
 * CSV, Athena's text) for records made by the real normalizer from a realistic workload.
 */
import fc from 'fast-check';
import { ChangeRecord } from '../../schemas/change-record';
import { normalizeRecord, normalizeRecords } from '../../lambda/core/normalize';
import { recordHash } from '../../lambda/core/record-hash';
import { demoSourceOptions, generateWorkload } from '../../local/demo/workload';
import { csvLine, csvToRows, parseCsv } from '../../cli/evidence/csv';
import { recomputeRecordHash } from '../../cli/evidence/row-record';
import { exportValue } from '../../cli/evidence/values';

function normalizedWorkload(changes: number): ChangeRecord[] {
  const records: ChangeRecord[] = [];
  for (const event of generateWorkload({ changes, seed: 7 }).events()) {
    records.push(...normalizeRecords(event.Records, { sourceOptions: demoSourceOptions(), processedAt: '2026-03-01T12:00:00.123Z' }));
  }
  return records;
}

/** The row evidence-changes.sql returns through DuckDB: lists as JSON array text, typed scalars. */
function duckDbRow(r: ChangeRecord): Record<string, unknown> {
  return {
    ...r,
    changed_attributes: r.changed_attributes === null ? null : JSON.stringify(r.changed_attributes),
    redacted_attributes: r.redacted_attributes === null ? null : JSON.stringify(r.redacted_attributes),
  };
}

/** The same row as Athena's GetQueryResults spells it: every value text, timestamps without a zone. */
function athenaTextRow(r: ChangeRecord): Record<string, unknown> {
  const text: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(duckDbRow(r))) {
    if (v === null) text[k] = null;
    else if (k === 'event_time' || k === 'processed_at') text[k] = (v as string).replace('T', ' ').replace('Z', '');
    else text[k] = String(v);
  }
  return text;
}

function csvRoundTrip(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const columns = Object.keys(rows[0] as object);
  const text = csvLine(columns) + rows.map((row) => csvLine(columns.map((c) => exportValue(row[c]) as never))).join('');
  return csvToRows(text).rows;
}

const records = normalizedWorkload(400);

describe('recomputing record_hash from exported rows', () => {
  test('the workload covers inserts, modifies, deletes, TTL expiries and redaction', () => {
    expect(new Set(records.map((r) => r.event_name))).toEqual(new Set(['INSERT', 'MODIFY', 'REMOVE']));
    expect(records.some((r) => r.is_ttl_expiry)).toBe(true);
    expect(records.some((r) => r.changed_attributes !== null)).toBe(true);
  });

  test('matches for every JSON Lines row as DuckDB returns it', () => {
    const outcomes = records.map((r) => recomputeRecordHash(JSON.parse(JSON.stringify(duckDbRow(r)))));
    expect(outcomes.filter((o) => o.status !== 'match')).toEqual([]);
  });

  test('matches for every CSV row, where everything is text and NULL is an empty field', () => {
    const outcomes = csvRoundTrip(records.map(duckDbRow)).map(recomputeRecordHash);
    expect(outcomes.filter((o) => o.status !== 'match')).toEqual([]);
  });

  test('matches for rows in Athena text form ("yyyy-MM-dd HH:mm:ss.SSS", "true", "1")', () => {
    const outcomes = records.map((r) => recomputeRecordHash(athenaTextRow(r)));
    expect(outcomes.filter((o) => o.status !== 'match')).toEqual([]);
  });

  test('matches for lists given as arrays (DuckDB without json_format)', () => {
    expect(records.map((r) => recomputeRecordHash({ ...r })).filter((o) => o.status !== 'match')).toEqual([]);
  });

  test('matches for an error record carrying raw_record and normalization_error', () => {
    const error = normalizeRecord({ eventID: 'x1', eventName: 'MODIFY', eventSourceARN: 'not-an-arn' }, { processedAt: '2026-03-01T00:00:00.000Z' });
    expect(error.normalization_error).not.toBeNull();
    expect(recomputeRecordHash(duckDbRow(error))).toEqual({ status: 'match', hash: error.record_hash });
  });

  test('reports a mismatch naming both hashes when one character of an image changed', () => {
    const changed = records.find((r) => r.new_image !== null) as ChangeRecord;
    const row = { ...duckDbRow(changed), new_image: (changed.new_image as string).replace(/.$/, ' }') };
    const outcome = recomputeRecordHash(row);
    expect(outcome.status).toBe('mismatch');
    expect(outcome).toMatchObject({ expected: changed.record_hash });
  });

  test('reports a mismatch when the event time moved by one millisecond', () => {
    const r = records[0] as ChangeRecord;
    const moved = new Date(Date.parse(r.event_time as string) + 1).toISOString();
    expect(recomputeRecordHash({ ...duckDbRow(r), event_time: moved }).status).toBe('mismatch');
  });

  test('reports an oversize change (overflow_uri set) as not recomputable from the row, naming the object', () => {
    const r = records.find((x) => x.new_image !== null) as ChangeRecord;
    const pointer = { ...duckDbRow(r), new_image: null, old_image: null, overflow_uri: 's3://audit-bucket/overflow/2026/03/01/x.json' };
    expect(recomputeRecordHash(pointer)).toEqual({
      status: 'not-recomputable',
      reason: 'oversize change: its images are in the overflow object s3://audit-bucket/overflow/2026/03/01/x.json, not in the row',
    });
  });

  test('reports a row without all hashed columns as not recomputable, naming them', () => {
    const { keys: _keys, actor: _actor, ...partial } = duckDbRow(records[0] as ChangeRecord);
    expect(recomputeRecordHash(partial)).toEqual({ status: 'not-recomputable', reason: 'hashed columns not exported: keys, actor' });
  });

  test('reports a value that is not of its column type as invalid, naming the column', () => {
    const row = { ...duckDbRow(records[0] as ChangeRecord), is_ttl_expiry: 'maybe' };
    expect(recomputeRecordHash(row)).toEqual({ status: 'invalid', reason: 'is_ttl_expiry: "maybe" is not a boolean' });
  });

  test('agrees with lambda/core/record-hash.ts on the record itself', () => {
    for (const r of records.slice(0, 20)) expect(recordHash(r)).toBe(r.record_hash);
  });
});

describe('evidence CSV', () => {
  test('keeps NULL and the empty string apart, and quotes, commas and newlines intact', () => {
    const text = csvLine(['a', 'b', 'c', 'd']) + csvLine([null, '', 'say "hi", then\nleave', 42]);
    expect(text).toBe('"a","b","c","d"\n,"","say ""hi"", then\nleave",42\n');
    expect(csvToRows(text).rows).toEqual([{ a: null, b: '', c: 'say "hi", then\nleave', d: '42' }]);
  });

  test('round-trips any strings and nulls', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.option(fc.string({ unit: 'binary' }), { nil: null }), { minLength: 3, maxLength: 3 }), { maxLength: 8 }), (rows) => {
        const text = csvLine(['x', 'y', 'z']) + rows.map((r) => csvLine(r)).join('');
        expect(csvToRows(text).rows).toEqual(rows.map(([x, y, z]) => ({ x, y, z })));
      }),
      { numRuns: 60 },
    );
  });

  test('rejects an unterminated quoted field, naming the line', () => {
    expect(() => parseCsv('"a"\n"b\n')).toThrow('line 2: unterminated quoted field');
  });
});
