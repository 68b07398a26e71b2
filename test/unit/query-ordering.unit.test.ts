/**
 * The bundled queries order changes of an item by sequence_number as a number, by left-padding the
 * decimal text to the widest sequence number the collector accepts (schemas/change-record.ts,
 * SEQUENCE_NUMBER_MAX_DIGITS, from DynamoDB's documented 21 to 40 digits). A wider one would sort
 * wrongly, so the two must agree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { SEQUENCE_NUMBER_MAX_DIGITS, SEQUENCE_NUMBER_MIN_DIGITS } from '../../schemas/change-record';
import { normalizeRecord } from '../../lambda/core/normalize';
import { buildStreamRecord } from '../support/dynamodb-arbitraries';

const QUERIES = join(__dirname, '..', '..', 'athena-queries');
const sqlFiles = readdirSync(QUERIES).filter((f) => f.endsWith('.sql'));

/** The SQL without its comments. */
function code(file: string): string {
  return readFileSync(join(QUERIES, file), 'utf8').replace(/--.*$/gm, '');
}

function sequenceRecord(sequence: string) {
  const keys = { pk: { S: 'a' } };
  const record = buildStreamRecord({ eventName: 'INSERT', viewType: 'KEYS_ONLY', keys, oldImage: keys, newImage: keys, seconds: 1772366400, sequence: 0n, id: 'e', sizeBytes: 1 });
  return { ...record, dynamodb: { ...record.dynamodb, SequenceNumber: sequence } };
}

describe('sequence number ordering', () => {
  it('every bundled query that orders by sequence_number pads it to the schema\'s maximum width', () => {
    expect(sqlFiles.length).toBeGreaterThan(0);
    let ordered = 0;
    for (const file of sqlFiles) {
      const sql = code(file);
      for (const m of sql.matchAll(/lpad\(\s*sequence_number\s*,\s*(\d+)\s*,\s*'0'\s*\)/gi)) {
        ordered++;
        expect({ file, width: Number(m[1]) }).toEqual({ file, width: SEQUENCE_NUMBER_MAX_DIGITS });
      }
      // Ordering by the raw text would put "9…" (21 digits) after "10…" (22 digits).
      for (const clause of sql.matchAll(/ORDER BY([^;)]*)/gi)) expect({ file, raw: /(^|[\s,])sequence_number\s*(,|$|\s(ASC|DESC))/i.test(clause[1] as string) }).toEqual({ file, raw: false });
    }
    expect(ordered).toBeGreaterThanOrEqual(5);
  });

  it('accepts exactly the sequence numbers DynamoDB produces (21 to 40 digits) and keeps any other as an error record', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^\d{1,64}$/), fc.string({ maxLength: 45 })), (sequence) => {
        const record = normalizeRecord(sequenceRecord(sequence));
        const valid = /^\d+$/.test(sequence) && sequence.length >= SEQUENCE_NUMBER_MIN_DIGITS && sequence.length <= SEQUENCE_NUMBER_MAX_DIGITS;
        expect({ sequence, error: record.normalization_error === null }).toEqual({ sequence, error: valid });
        if (!valid) {
          expect(record.normalization_error).toMatch(/^dynamodb\.SequenceNumber: expected a decimal string of 21 to 40 digits/);
          expect(JSON.parse(record.raw_record as string).dynamodb.SequenceNumber).toBe(sequence);
        }
      }),
      { numRuns: 400 },
    );
    for (const edge of ['1'.repeat(20), '1'.repeat(21), '9'.repeat(40), '1'.repeat(41), '0'.repeat(64)]) {
      expect({ edge: edge.length, ok: normalizeRecord(sequenceRecord(edge)).normalization_error === null }).toEqual({ edge: edge.length, ok: edge.length >= 21 && edge.length <= 40 });
    }
  });

  it('left-padding to the maximum width orders accepted sequence numbers as numbers', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 10n ** 20n, max: 10n ** 40n - 1n }), fc.bigInt({ min: 10n ** 20n, max: 10n ** 40n - 1n }), (a, b) => {
        const pad = (n: bigint) => n.toString().padStart(SEQUENCE_NUMBER_MAX_DIGITS, '0');
        expect(pad(a) < pad(b)).toBe(a < b);
      }),
    );
  });
});
