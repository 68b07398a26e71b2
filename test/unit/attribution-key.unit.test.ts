/**
 * The key comparison of athena-queries/change-attribution.sql, as a class: the query's own two
 * key_text expressions (read from the file) run in DuckDB over generated keys. The log's side is
 * the collector's real item_key (normalizeRecord); CloudTrail's side is the same key as plain JSON
 * (requestParameters.key in AWS's examples) in any member order, numbers quoted or not. Equal
 * keys must give equal texts, and different keys different texts, whatever the values hold
 * (quotes, commas, colons, backslashes, braces, unicode).
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openLocalConnection } from '../../cli/query/duckdb-engine';
import { normalizeRecord } from '../../lambda/core/normalize';

const SQL = readFileSync(join(__dirname, '..', '..', 'athena-queries', 'change-attribution.sql'), 'utf8');
const [logSide, trailSide] = [...SQL.matchAll(/(regexp_replace\(replace\(replace\([\s\S]*?) AS key_text/g)].map((m) => m[1] as string);

type KeyValue = { S: string } | { N: string };

function itemKeyOf(keys: Record<string, KeyValue>): string {
  const record = {
    eventID: 'e',
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/Things/stream/2026-01-15T10:00:00.000',
    dynamodb: { ApproximateCreationDateTime: 1772323200, Keys: keys, NewImage: keys, SequenceNumber: '100000000000000000001', SizeBytes: 1, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
  const normalized = normalizeRecord(record);
  if (normalized.item_key === null) throw new Error(`not normalized: ${normalized.normalization_error}`);
  return normalized.item_key;
}

/** requestParameters as CloudTrail writes them: plain values, members in the caller's order. */
function requestOf(keys: Record<string, KeyValue>, order: readonly string[], quoteNumbers: boolean): string {
  const key: Record<string, string | number> = {};
  for (const name of order) {
    const v = keys[name] as KeyValue;
    key[name] = 'S' in v ? v.S : quoteNumbers ? v.N : Number(v.N);
  }
  return JSON.stringify({ tableName: 'T', key });
}

let connection: DuckDBConnection;
beforeAll(async () => {
  connection = await openLocalConnection('/nonexistent', [], []);
});
afterAll(() => connection.closeSync());

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
async function keyTexts(itemKey: string, request: string): Promise<[string | null, string | null]> {
  const reader = await connection.runAndReadAll(`SELECT ${logSide} AS a, ${trailSide} AS b FROM (SELECT ${quote(itemKey)} AS item_key, ${quote(request)} AS requestparameters)`);
  const row = reader.getRowObjectsJS()[0] as { a: string | null; b: string | null };
  return [row.a, row.b];
}

const text = fc.string({ unit: fc.constantFrom('a', 'Z', '"', ',', ':', '\\', '{', '}', ' ', 'é', '😀', '\n', '/', '#'), minLength: 1, maxLength: 12 });
const number = fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String);
const value: fc.Arbitrary<KeyValue> = fc.oneof(text.map((S) => ({ S })), number.map((N) => ({ N })));
const names = fc.uniqueArray(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/), { minLength: 1, maxLength: 2 });

test('the query reads two key_text expressions from its own file', () => {
  expect(logSide).toContain('json_parse(item_key)');
  expect(trailSide).toContain("json_extract(requestparameters, '$.key')");
});

test('a key and its CloudTrail spelling give the same text, in any member order and number quoting (property)', async () => {
  await fc.assert(
    fc.asyncProperty(names, fc.array(value, { minLength: 2, maxLength: 2 }), fc.boolean(), fc.boolean(), async (keyNames, values, reverse, quoteNumbers) => {
      const keys = Object.fromEntries(keyNames.map((n, i) => [n, values[i] as KeyValue]));
      const order = reverse ? [...keyNames].reverse() : keyNames;
      const [a, b] = await keyTexts(itemKeyOf(keys), requestOf(keys, order, quoteNumbers));
      expect(a).not.toBeNull();
      expect(b).toBe(a);
    }),
    { numRuns: 150 },
  );
});

test('different keys of one table (same names and types) give different texts (property)', async () => {
  await fc.assert(
    fc.asyncProperty(names, fc.array(text, { minLength: 4, maxLength: 4 }), async (keyNames, texts) => {
      const first = Object.fromEntries(keyNames.map((n, i) => [n, { S: texts[i] as string }]));
      const second = Object.fromEntries(keyNames.map((n, i) => [n, { S: texts[i + 2] as string }]));
      fc.pre(JSON.stringify(first) !== JSON.stringify(second));
      const [a] = await keyTexts(itemKeyOf(first), requestOf(first, keyNames, false));
      const [, b] = await keyTexts(itemKeyOf(first), requestOf(second, keyNames, false));
      expect(b).not.toBe(a);
    }),
    { numRuns: 150 },
  );
});
