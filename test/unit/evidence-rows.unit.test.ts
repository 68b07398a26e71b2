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

describe('rows that would keep their hash while their fields are rearranged', () => {
  const JSON_FIELDS = ['keys', 'item_key', 'new_image', 'old_image'] as const;
  const modify = records.find((r) => r.event_name === 'MODIFY' && r.new_image !== null && r.old_image !== null && (r.old_image as string).includes(',')) as ChangeRecord;

  // The version-1 canonical form spliced JSON texts unquoted, so these attacks keep a v1 row's hash;
  // version 2 prefixes each text with its length, so they change it. Rows of both versions are in logs.
  const asVersion1 = (r: ChangeRecord): ChangeRecord => ({ ...r, schema_version: 1, record_hash: recordHash({ ...r, schema_version: 1 }) });

  test('moving text from new_image into old_image keeps the v1 canonical concatenation, and is refused', () => {
    // new_image gets old_image's text up to its first comma; old_image keeps the rest: spliced into
    // the v1 canonical array, the two fields give exactly the same text as before.
    const v1 = asVersion1(modify);
    const row = duckDbRow(v1);
    const old = modify.old_image as string;
    const cut = old.indexOf(',');
    const forged = { ...row, new_image: `${modify.new_image},${old.slice(0, cut)}`, old_image: old.slice(cut + 1) };
    expect(recordHash({ ...v1, new_image: forged.new_image, old_image: forged.old_image })).toBe(v1.record_hash);
    // The v2 form (what the collector writes today) no longer conflates them.
    expect(recordHash({ ...modify, new_image: forged.new_image, old_image: forged.old_image })).not.toBe(modify.record_hash);

    expect(recomputeRecordHash(forged)).toEqual({ status: 'invalid', reason: 'new_image: its text is not exactly one JSON value, so the boundary to the next field is not fixed' });
  });

  test('property: any re-split of the JSON-text fields at commas that changes them is never a match', () => {
    fc.assert(
      fc.property(fc.constantFrom(...records.filter((r) => r.new_image !== null && r.old_image !== null)), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), (r, picks) => {
        const row = duckDbRow(r);
        const joined = JSON_FIELDS.map((f) => r[f] as string).join(',');
        const commas = [...joined.matchAll(/,/g)].map((m) => m.index as number);
        const cuts = [...new Set(picks.map((p) => commas[p % commas.length] as number))].sort((a, b) => a - b);
        if (cuts.length !== 3) return;
        const pieces = [joined.slice(0, cuts[0]), joined.slice(cuts[0]! + 1, cuts[1]), joined.slice(cuts[1]! + 1, cuts[2]), joined.slice(cuts[2]! + 1)];
        if (JSON_FIELDS.every((f, i) => pieces[i] === r[f])) return;
        const forged = { ...row, ...Object.fromEntries(JSON_FIELDS.map((f, i) => [f, pieces[i]])) };
        expect(recomputeRecordHash(forged).status).not.toBe('match');
      }),
      { numRuns: 300 },
    );
  });

  test('the JSON text "null" in a JSON-text field hashes like SQL NULL in v1, and is refused', () => {
    const r = records.find((x) => x.user_identity === null) as ChangeRecord;
    const v1 = asVersion1(r);
    expect(recordHash({ ...v1, user_identity: 'null' })).toBe(v1.record_hash);
    expect(recordHash({ ...r, user_identity: 'null' })).not.toBe(r.record_hash);
    expect(recomputeRecordHash({ ...duckDbRow(v1), user_identity: 'null' })).toEqual({
      status: 'invalid',
      reason: 'user_identity: holds the JSON text "null", which hashes like SQL NULL; the collector writes NULL there, never "null"',
    });
  });

  test('an oversize change pointer that carries images is invalid, not "not recomputable"', () => {
    const r = records.find((x) => x.new_image !== null) as ChangeRecord;
    const pointer = { ...duckDbRow(r), old_image: null, overflow_uri: 's3://audit-bucket/overflow/x.json' };
    expect(recomputeRecordHash(pointer)).toEqual({
      status: 'invalid',
      reason: 'oversize change pointer (overflow_uri s3://audit-bucket/overflow/x.json) carries new_image; the collector writes a pointer row\'s images as null, so these were added afterwards',
    });
  });
});

describe('CSV formula neutralization', () => {
  test('cells that a spreadsheet would run as a formula get a leading quote; reading restores them exactly', () => {
    const values = ['=HYPERLINK("http://x","y")', '@SUM(A1)', '+1', '-2+3', '\tx', '\rx', '\u0000x', "'quoted", 'plain', ''];
    const text = csvLine(['v']) + values.map((v) => csvLine([v])).join('');
    expect(text.split('\n').slice(1, 6)).toEqual(['"\'=HYPERLINK(""http://x"",""y"")"', '"\'@SUM(A1)"', '"\'+1"', '"\'-2+3"', '"\'\tx"']);
    expect(csvToRows(text).rows.map((r) => r.v)).toEqual(values);
    // A number is not text: -5 stays a bare number.
    expect(csvLine([-5])).toBe('-5\n');
  });

  test('property: no written text cell starts with a formula character, and every string round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { minLength: 1, maxLength: 6 }), (values) => {
        const text = csvLine(values.map((_, i) => `c${i}`)) + csvLine(values);
        for (const field of parseCsv(text)[1] as { text: string }[]) expect(field.text).not.toMatch(/^[=+\-@\t\r\u0000]/);
        expect(Object.values(csvToRows(text).rows[0] as object)).toEqual(values);
      }),
      { numRuns: 300 },
    );
  });
});
