/**
 * Writes change records (NDJSON lines) as one Parquet object with DuckDB: the lines go to a
 * temporary NDJSON file, and one `COPY (SELECT <casts> FROM read_json(...)) TO ... (FORMAT PARQUET)`
 * parses, types and encodes them natively. The column list, the JSON reader's types and the casts
 * all come from the change-record schema (DATA_FIELDS, DUCKDB_TYPES); nothing is named here.
 *
 * Why DuckDB: it converts our 28-column, ~1.5 KB rows at about 100,000 rows/s on one core, where
 * parquetjs-lite managed about 4,200 (docs/performance.md, "The local pipeline").
 *
 * What the files hold, as Athena reads Firehose's: data columns only, lower-case, in schema order;
 * timestamps INT64 TIMESTAMP_MILLIS (UTC: see parquet-footer.ts); arrays as 3-level LIST of
 * strings; SNAPPY; v1 data pages; strings exactly as received (images are JSON text that may hold
 * 38-digit numbers: they are read as VARCHAR, never as JSON numbers). Every column is OPTIONAL
 * (DuckDB writes no REQUIRED columns; Firehose's Hive writer does not either); required fields
 * are checked before a record gets here (rows.ts).
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DUCKDB_TYPES } from '../../schemas/derive';
import { useLegacyTimestampAnnotation } from './parquet-footer';
import { DATA_FIELDS } from './rows';

export interface RejectedLine {
  readonly line: string;
  readonly reason: string;
}

export interface ParquetWriterOptions {
  /** DuckDB worker threads. @default 1 (the collector needs the other core) */
  readonly threads?: number;
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

// Timestamps are read as text and cast through TIMESTAMPTZ, so an explicit offset is honoured, then
// to TIMESTAMP_MS: INT64 milliseconds in the file.
const READ_TYPES = DATA_FIELDS.map((f) => `${quote(f.name)}: ${quote(f.type === 'timestamp' ? 'VARCHAR' : DUCKDB_TYPES[f.type])}`).join(', ');
const SELECT_LIST = DATA_FIELDS.map((f) => (f.type === 'timestamp' ? `CAST(CAST(${ident(f.name)} AS TIMESTAMPTZ) AS TIMESTAMP_MS) AS ${ident(f.name)}` : ident(f.name))).join(', ');

/** The COPY statement that converts one NDJSON file into one Parquet file. */
export function copyStatement(source: string, target: string): string {
  return `COPY (SELECT ${SELECT_LIST} FROM read_json(${quote(source)}, format = 'newline_delimited', records = true, columns = {${READ_TYPES}})) TO ${quote(target)} (FORMAT PARQUET, COMPRESSION SNAPPY)`;
}

export class ParquetFileWriter {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly scratch: string,
  ) {}

  static async open(options: ParquetWriterOptions = {}): Promise<ParquetFileWriter> {
    const instance = await DuckDBInstance.create(':memory:', { threads: String(options.threads ?? 1) });
    const connection = await instance.connect();
    // The TIMESTAMPTZ -> TIMESTAMP cast happens in the session time zone: make it UTC.
    await connection.run("SET TimeZone = 'UTC'");
    const scratch = await mkdtemp(join(tmpdir(), 'ddb-audit-firehose-'));
    return new ParquetFileWriter(instance, connection, scratch);
  }

  /**
   * Writes `lines` as one Parquet file at `path` (which must not be visible to readers yet: the
   * caller renames it into place). Lines DuckDB cannot convert are left out and returned, so one
   * bad record never costs the others; the file is not written when no line converts.
   * Calls run one at a time.
   */
  write(path: string, lines: readonly string[]): Promise<RejectedLine[]> {
    const run = this.queue.then(() => this.writeNow(path, lines));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    const closed = this.queue.then(async () => {
      this.connection.closeSync();
      this.instance.closeSync();
      await rm(this.scratch, { recursive: true, force: true });
    });
    this.queue = closed.catch(() => undefined);
    return closed;
  }

  private async writeNow(path: string, lines: readonly string[]): Promise<RejectedLine[]> {
    const first = await this.tryCopy(lines, path);
    if (first === undefined) {
      await useLegacyTimestampAnnotation(path);
      return [];
    }
    // Rare: some line DuckDB refused. Find which by halving, then write the rest in one go.
    const rejected: RejectedLine[] = [];
    const good: string[] = [];
    await this.split(lines, first, good, rejected);
    if (good.length > 0) {
      const error = await this.tryCopy(good, path);
      if (error !== undefined) throw new Error(`Parquet conversion failed after removing ${rejected.length} bad records: ${error}`);
      await useLegacyTimestampAnnotation(path);
    }
    return rejected;
  }

  private async split(lines: readonly string[], error: string, good: string[], rejected: RejectedLine[]): Promise<void> {
    if (lines.length === 1) {
      rejected.push({ line: lines[0] as string, reason: error });
      return;
    }
    const middle = Math.ceil(lines.length / 2);
    for (const half of [lines.slice(0, middle), lines.slice(middle)]) {
      const halfError = await this.tryCopy(half, join(this.scratch, `${randomUUID()}.probe.parquet`));
      if (halfError === undefined) good.push(...half);
      else await this.split(half, halfError, good, rejected);
    }
  }

  /** Runs the COPY; returns DuckDB's error message, or undefined when it succeeded. */
  private async tryCopy(lines: readonly string[], target: string): Promise<string | undefined> {
    const source = join(this.scratch, `${randomUUID()}.ndjson`);
    await writeFile(source, lines.join('\n'));
    try {
      await this.connection.run(copyStatement(source, target));
      return undefined;
    } catch (err) {
      await rm(target, { force: true });
      return (err as Error).message.split('\n')[0];
    } finally {
      await rm(source, { force: true });
      if (target.startsWith(this.scratch)) await rm(target, { force: true });
    }
  }
}
