/**
 * "Nothing lost" as a query: compares the event_ids that went in with the change log the local
 * Firehose wrote (read back by DuckDB from the Parquet, through the same view the bundled queries
 * use). Shared by the fault-injection tests and the soak, so both judge delivery the same way.
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { openLocalConnection } from '../../cli/query/duckdb-engine';
import { GLUE_TABLE_NAME } from '../../schemas/partitioning';

export interface DeliveryAudit {
  /** Distinct event_ids that went in. */
  readonly changesIn: number;
  /** Rows in the change log. */
  readonly rowsOut: number;
  /** Input event_ids present in the log (at least once). */
  readonly uniqueOut: number;
  /** Rows beyond the first of each event_id: at-least-once delivery, absorbed by de-duplication. */
  readonly duplicates: number;
  /** Input event_ids missing from the log. Must be 0. */
  readonly lost: number;
  /** Event_ids in the log that never went in (would mean corruption). */
  readonly unexpected: number;
  /** Event_ids whose copies do not all carry the same record_hash (duplicates must be identical). */
  readonly hashMismatches: number;
  /** Input event_ids delivered as error records (normalization_error set). */
  readonly errorRecords: number;
  /** A few of the lost event_ids, for the failure message. */
  readonly lostSample: string[];
}

/** Writes event_ids one per line; returns the file. Streams, so a million ids never sit in one string. */
export class ExpectedIds {
  readonly file: string;
  private readonly dir: string;
  private readonly out;
  count = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'ddb-audit-expected-'));
    this.file = join(this.dir, 'event_ids.csv');
    this.out = createWriteStream(this.file);
  }

  async add(ids: Iterable<string>): Promise<void> {
    let chunk = '';
    for (const id of ids) {
      chunk += `${id}\n`;
      this.count++;
    }
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  private closed: Promise<void> | undefined;

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return this.closed;
  }

  /** Every id written so far (small runs only). */
  async all(): Promise<string[]> {
    await this.close();
    return readFileSync(this.file, 'utf8').split('\n').filter((l) => l !== '');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function auditDelivery(dataDir: string, expected: ExpectedIds): Promise<DeliveryAudit> {
  await expected.close();
  const connection = await openLocalConnection(dataDir);
  try {
    await connection.run(`CREATE TEMP TABLE expected AS SELECT DISTINCT event_id FROM read_csv('${expected.file.replace(/'/g, "''")}', header = false, columns = {'event_id': 'VARCHAR'}, quote = '', escape = '')`);
    await connection.run(
      `CREATE TEMP TABLE delivered AS SELECT event_id, count(*) AS n, count(DISTINCT record_hash) AS hashes, bool_or(normalization_error IS NOT NULL) AS error FROM ${GLUE_TABLE_NAME} GROUP BY event_id`,
    );
    const reader = await connection.runAndReadAll(`SELECT
        (SELECT count(*) FROM expected) AS changes_in,
        (SELECT coalesce(sum(n), 0) FROM delivered) AS rows_out,
        (SELECT count(*) FROM delivered JOIN expected USING (event_id)) AS unique_out,
        (SELECT coalesce(sum(n - 1), 0) FROM delivered) AS duplicates,
        (SELECT count(*) FROM expected ANTI JOIN delivered USING (event_id)) AS lost,
        (SELECT count(*) FROM delivered ANTI JOIN expected USING (event_id)) AS unexpected,
        (SELECT count(*) FROM delivered WHERE hashes > 1) AS hash_mismatches,
        (SELECT count(*) FROM delivered JOIN expected USING (event_id) WHERE error) AS error_records`);
    const row = reader.getRowObjectsJS()[0] as Record<string, bigint | number>;
    const lostSample = (await connection.runAndReadAll('SELECT event_id FROM expected ANTI JOIN delivered USING (event_id) ORDER BY event_id LIMIT 5')).getRowObjectsJS().map((r) => String(r.event_id));
    const n = (name: string) => Number(row[name]);
    return {
      changesIn: n('changes_in'),
      rowsOut: n('rows_out'),
      uniqueOut: n('unique_out'),
      duplicates: n('duplicates'),
      lost: n('lost'),
      unexpected: n('unexpected'),
      hashMismatches: n('hash_mismatches'),
      errorRecords: n('error_records'),
      lostSample,
    };
  } finally {
    connection.closeSync();
  }
}
