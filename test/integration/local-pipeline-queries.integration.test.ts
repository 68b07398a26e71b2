/**
 * The real collector handler delivers a generated workload to the local Firehose through the real
 * SDK clients, with injected throttling and failed entries and a Lambda retry that re-sends a
 * batch; then every bundled query runs with DuckDB on the Parquet written, and its rows are
 * compared with what the workload wrote (the ledger).
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from 'node-sql-parser';
import { CHANGE_RECORD_FIELDS } from '../../schemas/change-record';
import { HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';
import { QueryParamError } from '../../cli/query';
import type { HeartbeatEntry } from '../../local/demo/heartbeat';
import { listQueryNames, renderQuery, runQuery } from '../../cli/query';
import { demoParams } from '../../local/demo/run-demo';
import { AUDIT_ACCOUNT, demoSourceOptions, generateWorkload, LedgerEntry, REGION } from '../../local/demo/workload';
import { CollectorHandler, LocalPipeline, startLocalPipeline } from '../../local/pipeline';
import { run as queryCommand } from '../../bin/commands/query';
import type { CommandIo } from '../../bin/commands/io';

const FROM = '2026-03-01';
const TO = '2026-03-02';

/** Heartbeats on the 5-minute boundaries of [start, end], as the schedule writes them. */
function timesFiveMinutes(start: string, end: string): number {
  const step = 300_000;
  return Math.floor(Date.parse(end) / step) - Math.ceil(Date.parse(start) / step) + 1;
}

function loadHandlerIsolated(): CollectorHandler {
  let handler: CollectorHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../lambda/handlers/collector').handler;
  });
  return handler as CollectorHandler;
}

/** What the event source mapping does with a partial batch response: retry from the reported record. */
async function deliverLikeEventSourceMapping(pipeline: LocalPipeline, event: DynamoDBStreamEvent): Promise<number> {
  let records = event.Records;
  let retries = 0;
  for (;;) {
    const response = await pipeline.invoke({ Records: records }, 20_000);
    const failure = response.batchItemFailures[0];
    if (!failure) return retries;
    const from = records.findIndex((r) => r.dynamodb?.SequenceNumber === failure.itemIdentifier);
    expect(from).toBeGreaterThanOrEqual(0);
    records = records.slice(from);
    retries++;
    if (retries > 50) throw new Error('batch never delivered');
  }
}

describe('the local pipeline and the bundled queries', () => {
  let dataDir: string;
  let ledger: LedgerEntry[];
  let heartbeats: HeartbeatEntry[];
  let redelivered: string[];

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'ddb-audit-pipeline-'));
    const pipeline = await startLocalPipeline({
      dataDir,
      sourceOptions: demoSourceOptions(),
      writer: 'inline',
      faults: { throttleRate: 0.15, failedEntryRate: 0.15, seed: 5 },
      buffer: { sizeBytes: 256 * 1024 },
      loadHandler: loadHandlerIsolated,
    });
    try {
      // With the heartbeat, as deployed: the queries below must leave its rows out unless asked.
      const workload = generateWorkload({ changes: 1500, seed: 9, batchSize: 50, ledger: true, start: new Date(`${FROM}T00:10:00Z`), end: new Date(`${TO}T23:50:00Z`), heartbeat: { accountId: AUDIT_ACCOUNT, region: REGION } });
      const events = [...workload.events()];
      for (const event of events) await deliverLikeEventSourceMapping(pipeline, event);
      // A Lambda retry of a whole batch that had already been delivered: duplicates in the log.
      const again = events[3] as DynamoDBStreamEvent;
      await deliverLikeEventSourceMapping(pipeline, again);
      redelivered = again.Records.map((r) => r.eventID as string);
      await pipeline.firehose.flush();
      const stats = pipeline.firehose.stats();
      expect(stats.throttled + stats.failedEntries).toBeGreaterThan(0); // the faults did happen
      ledger = workload.ledger;
      heartbeats = workload.heartbeats;
      expect(heartbeats.length).toBe(timesFiveMinutes(`${FROM}T00:10:00Z`, `${TO}T23:50:00Z`));
    } finally {
      await pipeline.close();
    }
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const query = async (name: string, params: Record<string, string>) => (await runQuery({ name, params, dataDir })).rows;

  it('keeps every change exactly once after de-duplication, despite throttles, failed entries and retries', async () => {
    const rows = await query('changes-deduplicated', { from: FROM, to: TO });
    expect(rows.map((r) => r.event_id).sort()).toEqual(ledger.map((e) => e.eventId).sort());
    const duplicated = rows.filter((r) => (r.deliveries as number) > 1).map((r) => r.event_id);
    expect(duplicated).toEqual(expect.arrayContaining(redelivered));
  });

  it('item-history returns exactly the versions written to one item, in order', async () => {
    const params = demoParams(ledger)['item-history'] as Record<string, string>;
    const expected = ledger.filter((e) => e.accountId === params.account_id && e.tableName === params.table_name && e.itemKey === params.item_key);
    expect(expected.length).toBeGreaterThan(3);
    const rows = await query('item-history', params);
    expect(rows.map((r) => [r.event_id, r.event_name, r.sequence_number, r.actor])).toEqual(expected.map((e) => [e.eventId, e.eventName, e.sequenceNumber, e.actor]));
  });

  it('deletes finds exactly the TTL expiries as ttl and every other delete as user', async () => {
    const rows = await query('deletes', { from: FROM, to: TO });
    const ttl = rows.filter((r) => r.delete_kind === 'ttl').map((r) => r.event_id).sort();
    const user = rows.filter((r) => r.delete_kind === 'user').map((r) => r.event_id).sort();
    expect(ttl).toEqual(ledger.filter((e) => e.ttl).map((e) => e.eventId).sort());
    expect(user).toEqual(ledger.filter((e) => e.eventName === 'REMOVE' && !e.ttl).map((e) => e.eventId).sort());
    expect(ttl.length).toBeGreaterThan(0);
  });

  it('deletes filtered to one account keeps its leading zero and returns only that account', async () => {
    const rows = await query('deletes', { from: FROM, to: TO, account_id: '012345678901' });
    expect(new Set(rows.map((r) => r.account_id))).toEqual(new Set(['012345678901']));
    expect(rows).toHaveLength(ledger.filter((e) => e.eventName === 'REMOVE' && e.accountId === '012345678901').length);
  });

  it('table-changes returns the changes of one table on the days asked, oldest first', async () => {
    const rows = await query('table-changes', { from: TO, to: TO, account_id: '111122223333', table_name: 'Sessions' });
    const expected = ledger.filter((e) => e.accountId === '111122223333' && e.tableName === 'Sessions' && e.dt === TO);
    expect(rows.map((r) => r.event_id).sort()).toEqual(expected.map((e) => e.eventId).sort());
    const times = rows.map((r) => r.event_time as string);
    expect([...times].sort()).toEqual(times);
  });

  it('attribute-history shows the old and new value of the attribute and who changed it', async () => {
    const rows = await query('attribute-history', { from: FROM, to: TO, account_id: '012345678901', table_name: 'Orders', attribute: 'status' });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows.filter((r) => r.event_name === 'MODIFY')) {
      expect(row.old_value).not.toEqual(row.new_value);
      expect(JSON.parse(row.new_value as string)).toMatch(/^(PENDING|PAID|SHIPPED|DELIVERED|CANCELLED)$/);
    }
    const inserts = rows.filter((r) => r.event_name === 'INSERT');
    expect(inserts.every((r) => r.old_value === null && r.new_value === '"PENDING"')).toBe(true);
  });

  it('actor-activity returns exactly the changes recorded with that actor', async () => {
    const rows = await query('actor-activity', { from: FROM, to: TO, actor: 'José.Núñez@example.com' });
    expect(rows.map((r) => r.event_id).sort()).toEqual(ledger.filter((e) => e.actor === 'José.Núñez@example.com').map((e) => e.eventId).sort());
    // This folder has no CloudTrail files: every row says attribution is unavailable, none claims "no caller".
    expect(new Set(rows.map((r) => `${r.matched_by} ${r.attribution} ${r.attribution_reason} ${r.principal_arn}`))).toEqual(new Set(['attribute none cloudtrail-unavailable null']));
  });

  it('daily-volume counts changes per account, table and day, and shows duplicate deliveries', async () => {
    const rows = await query('daily-volume', { from: FROM, to: TO });
    const expected = new Map<string, number>();
    for (const e of ledger) expected.set(`${e.accountId}/${e.tableName}/${e.dt}`, (expected.get(`${e.accountId}/${e.tableName}/${e.dt}`) ?? 0) + 1);
    expect(new Map(rows.map((r) => [`${r.account_id}/${r.table_name}/${r.dt}`, r.changes]))).toEqual(expected);
    const deliveries = rows.reduce((sum, r) => sum + (r.deliveries as number), 0);
    expect(deliveries).toBeGreaterThanOrEqual(ledger.length + redelivered.length);
    expect(rows.reduce((sum, r) => sum + (r.ttl_expiries as number), 0)).toBe(ledger.filter((e) => e.ttl).length);
  });

  it('source-freshness has one row per source table with its newest change, and one for the heartbeat', async () => {
    const rows = await query('source-freshness', { from: FROM, to: TO });
    const tables = new Set(ledger.map((e) => `${e.accountId}/${e.tableName}`));
    expect(new Set(rows.map((r) => `${r.account_id}/${r.table_name}`))).toEqual(new Set([...tables, `${AUDIT_ACCOUNT}/${HEARTBEAT_TABLE_NAME}`]));
    expect(rows.every((r) => (r.last_event_time as string) <= `${TO}T23:50:00.000Z` && (r.minutes_since_last_change as number) > 0)).toBe(true);
    const heartbeat = rows.filter((r) => r.is_heartbeat === true);
    expect(heartbeat).toEqual([expect.objectContaining({ account_id: AUDIT_ACCOUNT, table_name: HEARTBEAT_TABLE_NAME, last_event_time: `${TO}T23:50:00.000Z`, changes: heartbeats.length })]);
    expect(rows.filter((r) => r.is_heartbeat === false)).toHaveLength(tables.size);
  });

  describe('heartbeat rows', () => {
    const withTable = (name: string) => demoParams(ledger)[name] as Record<string, string>;

    it.each(listQueryNames().filter((n) => n !== 'source-freshness'))('%s declares include_heartbeat, an optional boolean, and returns no heartbeat row without it', async (name) => {
      // Prepare: the widest parameters the query takes, so a heartbeat row could match if not excluded
      const params = { ...withTable(name) };
      const needsTable = ['item-history', 'item-versions', 'table-changes', 'attribute-history'].includes(name);
      if ('account_id' in params && !needsTable) delete params.account_id;
      if ('table_name' in params && !needsTable) delete params.table_name;
      // Act
      const result = await runQuery({ name, params, dataDir });
      // Assess
      expect(result.sql).toContain(`('false' = 'true' OR table_name <> '${HEARTBEAT_TABLE_NAME}')`);
      expect(result.rows.filter((r) => r.table_name === HEARTBEAT_TABLE_NAME || heartbeats.some((h) => h.eventId === r.event_id))).toEqual([]);
      expect((result.partitionsCovered ?? []).filter((p) => p.table_name === HEARTBEAT_TABLE_NAME)).toEqual([]);
    });

    it('include_heartbeat=true brings back exactly the heartbeats written, and leaves the changes as they were', async () => {
      const without = await query('changes-deduplicated', { from: FROM, to: TO });
      const withHeartbeat = await query('changes-deduplicated', { from: FROM, to: TO, include_heartbeat: 'true' });
      const heartbeatRows = withHeartbeat.filter((r) => r.table_name === HEARTBEAT_TABLE_NAME);
      expect(heartbeatRows.map((r) => r.event_id).sort()).toEqual(heartbeats.map((h) => h.eventId).sort());
      expect(heartbeatRows.every((r) => r.account_id === AUDIT_ACCOUNT)).toBe(true);
      expect(withHeartbeat.filter((r) => r.table_name !== HEARTBEAT_TABLE_NAME)).toEqual(without);
      const volume = await query('daily-volume', { from: FROM, to: TO, include_heartbeat: 'true' });
      expect(volume.filter((r) => r.table_name === HEARTBEAT_TABLE_NAME).map((r) => [r.dt, r.changes])).toEqual([
        [FROM, heartbeats.filter((h) => h.dt === FROM).length],
        [TO, heartbeats.filter((h) => h.dt === TO).length],
      ]);
    });

    it('refuses to ask a query for the heartbeat table by name while leaving its rows out', async () => {
      const params = { from: FROM, to: TO, account_id: AUDIT_ACCOUNT, table_name: HEARTBEAT_TABLE_NAME };
      await expect(query('table-changes', params)).rejects.toThrow(QueryParamError);
      await expect(query('table-changes', params)).rejects.toThrow(`table_name ${HEARTBEAT_TABLE_NAME} is the pipeline's heartbeat, whose rows query table-changes leaves out: add --param include_heartbeat=true`);
      const rows = await query('table-changes', { ...params, include_heartbeat: 'true' });
      expect(rows.map((r) => r.event_name)).toEqual(['INSERT', ...heartbeats.slice(1).map(() => 'MODIFY')]);
    });
  });

  it('evidence-changes returns every change-record field with its record_hash, one row per event_id', async () => {
    const result = await runQuery({ name: 'evidence-changes', params: { from: FROM, to: TO, account_id: '444455556666', table_name: 'Orders' }, dataDir });
    expect(result.columns.map((c) => c.name)).toEqual(CHANGE_RECORD_FIELDS.map((f) => f.name));
    expect(result.rows.map((r) => r.event_id).sort()).toEqual(ledger.filter((e) => e.accountId === '444455556666' && e.tableName === 'Orders').map((e) => e.eventId).sort());
    expect(result.rows.every((r) => /^[0-9a-f]{64}$/.test(r.record_hash as string) && Array.isArray(JSON.parse(r.changed_attributes as string)))).toBe(true);
    expect(result).toMatchObject({ engine: 'duckdb', executionId: expect.stringMatching(/^local-/) });
    expect(result.partitionsCovered).toEqual([
      { account_id: '444455556666', table_name: 'Orders', dt: FROM },
      { account_id: '444455556666', table_name: 'Orders', dt: TO },
    ]);
  });

  it.each(listQueryNames())('%s parses as Trino and Athena SQL after placeholder substitution', (name) => {
    const params = demoParams(ledger)[name] as Record<string, string>;
    const { sql } = renderQuery(name, params);
    const parser = new Parser();
    expect(() => parser.astify(sql, { database: 'trino' })).not.toThrow();
    expect(() => parser.astify(sql, { database: 'athena' })).not.toThrow();
  });

  describe('ddb-audit query', () => {
    const io = () => {
      const out: string[] = [];
      const err: string[] = [];
      const value: CommandIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), readStdin: async () => '', cwd: process.cwd(), env: {} };
      return { value, out, err };
    };

    it('prints CSV of a bundled query on local data', async () => {
      const { value, out } = io();
      const code = await queryCommand(['daily-volume', '--param', `from=${FROM}`, '--param', `to=${TO}`, '--data', dataDir, '--format', 'csv'], value);
      expect(code).toBe(0);
      const lines = out.join('').trim().split('\r\n');
      expect(lines[0]).toBe('account_id,table_name,dt,changes,deliveries,inserts,updates,user_deletes,ttl_expiries,normalization_errors');
      expect(lines).toHaveLength(1 + new Set(ledger.map((e) => `${e.accountId}/${e.tableName}/${e.dt}`)).size);
    });

    it.each([
      [['no-such-query', '--param', `from=${FROM}`], /^ddb-audit query: unknown query "no-such-query"/],
      [['deletes', '--param', `from=${FROM}`], /^ddb-audit query: query deletes needs parameter "to"/],
      [['deletes', '--param', 'from=yesterday', '--param', `to=${TO}`], /^ddb-audit query: parameter from of query deletes: "yesterday" is not a date/],
      [['deletes', '--format', 'xml'], /^ddb-audit query: --format "xml" is not one of table, csv, json/],
      [['deletes', '--athena'], /^ddb-audit query: --athena needs --workgroup WG/],
    ])('fails %j with a one-line error and exit status 2', async (args, message) => {
      const { value, err, out } = io();
      const withData = args.includes('--athena') ? args : [...args, '--data', dataDir];
      expect(await queryCommand(withData, value)).toBe(2);
      expect(err.join('')).toMatch(message);
      expect(err.join('').trim().split('\n')).toHaveLength(1);
      expect(out).toEqual([]);
    });
  });
});

describe('runQuery on Athena', () => {
  // No local Athena exists, so this path is tested against aws-sdk-client-mock.
  const athena = mockClient(AthenaClient);
  afterEach(() => athena.reset());

  it('starts the rendered SQL in the workgroup, polls until it succeeds and pages through typed results', async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED', SubmissionDateTime: new Date('2026-03-03T10:00:00Z'), CompletionDateTime: new Date('2026-03-03T10:00:02Z') } } });
    const columns = { ColumnInfo: [{ Name: 'account_id', Type: 'varchar' }, { Name: 'last_event_time', Type: 'timestamp' }, { Name: 'changes', Type: 'bigint' }] };
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
      .resolves({ ResultSet: { ResultSetMetadata: columns, Rows: [{ Data: [{ VarCharValue: 'account_id' }, { VarCharValue: 'last_event_time' }, { VarCharValue: 'changes' }] }, { Data: [{ VarCharValue: '012345678901' }, { VarCharValue: '2026-03-02 23:59:00.000' }, { VarCharValue: '42' }] }] }, NextToken: 'page-2' })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-2' })
      .resolves({ ResultSet: { ResultSetMetadata: columns, Rows: [{ Data: [{ VarCharValue: '111122223333' }, {}, { VarCharValue: '7' }] }] } });
    // Act
    const result = await runQuery({ name: 'source-freshness', params: { from: FROM, to: TO }, athena: { workgroup: 'audit' } }, { athena: { client: new AthenaClient({ region: 'us-east-1' }), sleep: async () => undefined } });
    // Assess
    const start = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input;
    expect(start).toEqual({ QueryString: result.sql, WorkGroup: 'audit', QueryExecutionContext: { Database: 'ddb_audit' } });
    expect(result.sql).toContain(`WHERE dt BETWEEN '${FROM}' AND '${TO}'`);
    expect(result).toMatchObject({ engine: 'athena', executionId: 'q-1', startedAt: '2026-03-03T10:00:00.000Z', endedAt: '2026-03-03T10:00:02.000Z' });
    expect(result.rows).toEqual([
      { account_id: '012345678901', last_event_time: '2026-03-02T23:59:00.000Z', changes: 42 },
      { account_id: '111122223333', last_event_time: null, changes: 7 },
    ]);
  });

  it('fails with the reason Athena gives', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: audit_changes' } } });
    await expect(runQuery({ name: 'daily-volume', params: { from: FROM, to: TO }, athena: { workgroup: 'audit' } }, { athena: { client: new AthenaClient({ region: 'us-east-1' }), sleep: async () => undefined } })).rejects.toThrow(
      'Athena query q-2 FAILED: TABLE_NOT_FOUND: audit_changes',
    );
  });
});
