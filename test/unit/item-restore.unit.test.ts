/**
 * `ddb-audit item restore`'s choice of version and its refusals (cli/item/restore.ts), on rows shaped
 * as athena-queries/item-versions.sql returns them (lists as JSON array text). The same rows through
 * real Parquet and DuckDB: test/integration/item-restore.integration.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChangeRecord } from '../../schemas/change-record';
import { normalizeRecord } from '../../lambda/core/normalize';
import { itemKeyOf, KeyArgumentError, restoreFromRows } from '../../cli/item/restore';
import { buildStreamRecord } from '../support/dynamodb-arbitraries';

const TABLE = 'arn:aws:dynamodb:eu-west-1:012345678901:table/Fuzz';
const keys = { pk: { S: 'item#1' } };
let seq = 10n ** 25n;

function change(eventName: string, id: string, seconds: number, newImage: Record<string, unknown>, options: { redact?: string[]; viewType?: string } = {}): ChangeRecord {
  seq += 1n;
  const record = buildStreamRecord({ eventName, viewType: options.viewType ?? 'NEW_AND_OLD_IMAGES', keys, oldImage: { ...keys, old: { S: 'x' } }, newImage: { ...newImage, ...keys }, seconds, sequence: seq, id, sizeBytes: 10 });
  return normalizeRecord(record, { processedAt: '2026-03-02T00:00:00.000Z', sourceOptions: options.redact ? { [TABLE]: { redact: options.redact } } : {} });
}
const row = (r: ChangeRecord): Record<string, unknown> => ({ ...r, changed_attributes: r.changed_attributes === null ? null : JSON.stringify(r.changed_attributes), redacted_attributes: r.redacted_attributes === null ? null : JSON.stringify(r.redacted_attributes) });

const T0 = 1_772_452_800; // 2026-03-02T12:00:00Z
const insert = change('INSERT', 'e-insert', T0, { v: { B: 'AAE=' }, tags: { SS: ['b', 'a'] } });
const modify = change('MODIFY', 'e-modify', T0 + 60, { v: { S: 'AAE=' }, n: { N: '12345678901234567890123456789012345678' } });
const remove = change('REMOVE', 'e-remove', T0 + 120, {});
const history = [insert, modify, remove].map(row);
const options = (target: { eventId: string } | { at: string }, extra = {}) => ({ tableName: 'Fuzz', target, ...extra });

describe('restoreFromRows', () => {
  it('rebuilds the typed item after a given change, as a PutItem body', () => {
    expect(restoreFromRows(history, options({ eventId: 'e-insert' }))).toMatchObject({ status: 'restored', body: { TableName: 'Fuzz', Item: { pk: { S: 'item#1' }, v: { B: 'AAE=' }, tags: { SS: ['a', 'b'] } } } });
    expect(restoreFromRows(history, options({ eventId: 'e-modify' }))).toMatchObject({ status: 'restored', body: { Item: { v: { S: 'AAE=' }, n: { N: '12345678901234567890123456789012345678' } } } });
  });

  it('at a time, takes the latest change at or before it, ordered by sequence number', () => {
    expect(restoreFromRows([...history].reverse(), options({ at: '2026-03-02T12:00:59Z' }))).toMatchObject({ status: 'restored', eventId: 'e-insert' });
    expect(restoreFromRows(history, options({ at: '2026-03-02T12:01:00Z' }))).toMatchObject({ status: 'restored', eventId: 'e-modify' });
    expect(restoreFromRows(history, options({ at: '2026-03-02T11:59:59Z' }))).toMatchObject({ status: 'refused', message: expect.stringContaining('no change of this item at or before 2026-03-02T11:59:59Z') });
  });

  it('says the item was deleted at that point', () => {
    expect(restoreFromRows(history, options({ at: '2026-03-02T13:00:00Z' }))).toEqual({ status: 'deleted', message: 'the item was deleted by change e-remove at 2026-03-02T12:02:00.000Z: there is no item to restore at that point' });
  });

  it('refuses a redacted item unless --allow-redacted, naming the redacted paths', () => {
    const redacted = [row(change('INSERT', 'e-red', T0, { card: { M: { number: { S: '4111' } } } }, { redact: ['card.number'] }))];
    expect(restoreFromRows(redacted, options({ eventId: 'e-red' }))).toMatchObject({ status: 'refused', message: expect.stringContaining('attributes redacted in this change: card.number') });
    const allowed = restoreFromRows(redacted, options({ eventId: 'e-red' }, { allowRedacted: true }));
    expect(allowed).toMatchObject({ status: 'restored', body: { Item: { card: { M: { number: { S: '[REDACTED]' } } } } }, warnings: [expect.stringContaining('card.number')] });
  });

  it('refuses a row whose content does not match its record_hash', () => {
    const tampered = history.map((r) => (r.event_id === 'e-modify' ? { ...r, new_image_types: '{"n":"B"}' } : r));
    expect(restoreFromRows(tampered, options({ eventId: 'e-modify' }))).toMatchObject({ status: 'refused', message: expect.stringContaining("does not match the row's content") });
  });

  it('refuses conflicting copies of one change', () => {
    const forged = { ...history[1], new_image: '{"pk":"item#1","v":"forged"}', record_hash: 'f'.repeat(64) };
    expect(restoreFromRows([...history, forged], options({ eventId: 'e-insert' }))).toMatchObject({ status: 'refused', message: expect.stringContaining('change e-modify is stored twice with different content') });
  });

  it('accepts identical duplicate deliveries', () => {
    expect(restoreFromRows([...history, { ...history[0], processed_at: '2026-03-03T00:00:00.000Z' }], options({ eventId: 'e-insert' }))).toMatchObject({ status: 'restored' });
  });

  it('refuses a view type that carries no image after the change', () => {
    const keysOnly = [row(change('INSERT', 'e-k', T0, { a: { S: 'x' } }, { viewType: 'KEYS_ONLY' }))];
    expect(restoreFromRows(keysOnly, options({ eventId: 'e-k' }))).toMatchObject({ status: 'refused', message: expect.stringContaining('KEYS_ONLY carries no image after the change') });
  });

  it('refuses an empty result and an unknown event id', () => {
    expect(restoreFromRows([], options({ eventId: 'x' }))).toMatchObject({ status: 'refused', message: expect.stringContaining('no change of this item') });
    expect(restoreFromRows(history, options({ eventId: 'nope' }))).toMatchObject({ status: 'refused', message: 'the log holds no change "nope" of this item' });
  });

  it('refuses a schema_version 1 row (no type information) unless --allow-untyped', () => {
    const v1 = JSON.parse(readFileSync(join(__dirname, '..', 'events', 'change-record-v1.json'), 'utf8'));
    const rows = [{ ...v1, changed_attributes: JSON.stringify(v1.changed_attributes), redacted_attributes: JSON.stringify(v1.redacted_attributes) }];
    expect(restoreFromRows(rows, options({ eventId: v1.event_id }, { allowRedacted: true }))).toMatchObject({ status: 'refused', message: expect.stringContaining('schema_version 1') });
    const untyped = restoreFromRows(rows, options({ eventId: v1.event_id }, { allowRedacted: true, allowUntyped: true }));
    expect(untyped).toMatchObject({ status: 'restored', body: { Item: { avatar: { S: 'iVBORw0KGgo=' } } } });
  });
});

describe('itemKeyOf', () => {
  it('spells a key as item_key does: names sorted, digits kept', () => {
    expect(itemKeyOf('{ "sk": "profile", "pk": "user#1" }')).toBe('{"pk":"user#1","sk":"profile"}');
    expect(itemKeyOf('{"id":12345678901234567890123456789012345678}')).toBe('{"id":12345678901234567890123456789012345678}');
    expect(itemKeyOf(insert.item_key as string)).toBe(insert.item_key);
  });

  it.each([['not json', 'expected a JSON value'], ['[1]', 'expected a JSON object'], ['{}', 'one or two attributes'], ['{"a":true}', 'must be a string or a number'], ['{"a":1,"b":2,"c":3}', 'one or two']])('refuses %s', (text, reason) => {
    expect(() => itemKeyOf(text)).toThrow(KeyArgumentError);
    expect(() => itemKeyOf(text)).toThrow(reason);
  });
});
