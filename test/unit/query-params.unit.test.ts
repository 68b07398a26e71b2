import { listQueryNames, loadQuery, UnknownQueryError } from '../../cli/query/catalog';
import { QueryParamError, resolveParams } from '../../cli/query/params';
import { findPlaceholders, substitutePlaceholders } from '../../cli/query/placeholders';
import { renderQuery } from '../../cli/query';
import { HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';

describe('placeholders', () => {
  it('replaces :name in code with quoted literals, doubling single quotes', () => {
    expect(substitutePlaceholders('SELECT 1 WHERE a = :v AND b = :v', { v: "it's" })).toBe("SELECT 1 WHERE a = 'it''s' AND b = 'it''s'");
  });

  it('leaves comments, string literals and quoted identifiers alone', () => {
    const sql = "-- :from in a comment\nSELECT ':x', \"col:y\" /* :z */ FROM t WHERE dt = :from";
    expect(findPlaceholders(sql).map((p) => p.name)).toEqual(['from']);
    expect(substitutePlaceholders(sql, { from: '2026-03-01' })).toBe("-- :from in a comment\nSELECT ':x', \"col:y\" /* :z */ FROM t WHERE dt = '2026-03-01'");
  });

  it('fails naming a placeholder without a value', () => {
    expect(() => substitutePlaceholders('SELECT :a', {})).toThrow('no value for placeholder :a');
  });
});

describe('parameters', () => {
  const specs = loadQuery('deletes').params;

  it('defaults optional parameters to * (all), and an optional boolean to false', () => {
    expect(resolveParams('deletes', specs, { from: '2026-03-01', to: '2026-03-02' })).toEqual({ from: '2026-03-01', to: '2026-03-02', account_id: '*', table_name: '*', include_heartbeat: 'false' });
  });

  it('takes true or false for a boolean and nothing else, * included', () => {
    expect(resolveParams('deletes', specs, { from: '2026-03-01', to: '2026-03-02', include_heartbeat: 'true' }).include_heartbeat).toBe('true');
    for (const value of ['*', 'yes', 'TRUE', '1', '']) {
      expect(() => resolveParams('deletes', specs, { from: '2026-03-01', to: '2026-03-02', include_heartbeat: value })).toThrow(`parameter include_heartbeat of query deletes: ${JSON.stringify(value)} is not true or false`);
    }
  });

  it.each([
    [{ to: '2026-03-02' }, 'query deletes needs parameter "from"'],
    [{ from: '2026-02-30', to: '2026-03-02' }, 'parameter from of query deletes: "2026-02-30" is not a real calendar date'],
    [{ from: '01/03/2026', to: '2026-03-02' }, 'is not a date yyyy-MM-dd'],
    [{ from: '2026-03-01', to: '2026-03-02', account_id: '12345678901' }, 'is not a 12-digit account id'],
    [{ from: '2026-03-01', to: '2026-03-02', table_name: "x' OR 1=1 --" }, 'is not a DynamoDB table name'],
    [{ from: '2026-03-01', to: '2026-03-02', colour: 'red' }, 'query deletes has no parameter "colour"'],
    [{ from: '2026-03-02', to: '2026-03-01' }, 'is after to'],
  ])('rejects %j with a one-line error naming it', (given, message) => {
    expect(() => resolveParams('deletes', specs, given)).toThrow(QueryParamError);
    expect(() => resolveParams('deletes', specs, given)).toThrow(message);
  });

  it('keeps leading zeros of account ids', () => {
    expect(resolveParams('deletes', specs, { from: '2026-03-01', to: '2026-03-01', account_id: '012345678901' }).account_id).toBe('012345678901');
  });
});

describe('the query library', () => {
  const contractNames = ['item-history', 'table-changes', 'deletes', 'attribute-history', 'actor-activity', 'daily-volume', 'changes-deduplicated', 'source-freshness', 'evidence-changes'];

  it('has every query file the issue names', () => {
    expect(listQueryNames()).toEqual(expect.arrayContaining(contractNames));
  });

  it.each(contractNames)('%s has a header with purpose, typed parameters including from/to, and its partition predicate', (name) => {
    const query = loadQuery(name);
    expect(query.text).toMatch(/^-- Purpose: /m);
    expect(query.text).toMatch(/^-- Partition predicate: dt BETWEEN :from AND :to/m);
    expect(query.params.slice(0, 2)).toEqual([expect.objectContaining({ name: 'from', type: 'date', optional: false }), expect.objectContaining({ name: 'to', type: 'date', optional: false })]);
    expect(query.text).toMatch(/WHERE dt BETWEEN :from AND :to/);
  });

  it.each(contractNames.filter((n) => n !== 'source-freshness'))('%s leaves the heartbeat rows out unless include_heartbeat is true', (name) => {
    const query = loadQuery(name);
    expect(query.params).toContainEqual(expect.objectContaining({ name: 'include_heartbeat', type: 'boolean', optional: true }));
    expect(query.text).toContain(`AND (:include_heartbeat = 'true' OR table_name <> '${HEARTBEAT_TABLE_NAME}')`);
    expect(query.text).toMatch(/^-- Partition predicate: .*table_name <> 'ddb-audit-heartbeat' unless :include_heartbeat$/m);
  });

  it('source-freshness shows the heartbeat rows, marked', () => {
    const query = loadQuery('source-freshness');
    expect(query.params.map((p) => p.name)).not.toContain('include_heartbeat');
    expect(query.text).toContain(`table_name = '${HEARTBEAT_TABLE_NAME}' AS is_heartbeat`);
  });

  it('refuses an unknown query, listing the known ones', () => {
    expect(() => loadQuery('no-such-query')).toThrow(UnknownQueryError);
    expect(() => loadQuery('../package')).toThrow(/unknown query "..\/package" \(bundled queries: actor-activity/);
  });

  it('renders the file itself, header included, with only the placeholders replaced', () => {
    const { sql } = renderQuery('daily-volume', { from: '2026-03-01', to: '2026-03-02' });
    expect(sql).toContain("WHERE dt BETWEEN '2026-03-01' AND '2026-03-02'");
    expect(sql.startsWith('-- daily-volume:')).toBe(true);
  });
});
