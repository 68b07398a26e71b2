/** What a query run returns (the evidence export records all of it). */
export interface QueryColumn {
  readonly name: string;
  /** The engine's own type name (DuckDB: VARCHAR, TIMESTAMP, VARCHAR[] …; Athena: varchar, timestamp …). */
  readonly type: string;
}

export interface PartitionRef {
  readonly account_id: string;
  readonly table_name: string;
  readonly dt: string;
}

/** One CloudTrail log file a local query read, as the evidence manifest records it. */
export interface InputFileRef {
  /** The key relative to the data folder, '/'-separated (cloudtrail/AWSLogs/…). */
  readonly key: string;
  readonly bytes: number;
  /** SHA-256 (hex) of the file's bytes as read for the query. */
  readonly sha256: string;
}

export interface QueryResult {
  /** The exact text executed: the .sql file, header included, with placeholders replaced. */
  readonly sql: string;
  readonly engine: 'duckdb' | 'athena';
  /** Athena's QueryExecutionId, or a local id ("local-<uuid>") for DuckDB. */
  readonly executionId: string;
  /** ISO-8601 UTC. */
  readonly startedAt: string;
  readonly endedAt: string;
  readonly columns: QueryColumn[];
  /**
   * Rows as plain JSON values: timestamps as ISO-8601 UTC strings with milliseconds, integers as
   * numbers (as strings beyond 2^53), booleans, strings; arrays as string[] from DuckDB and as the
   * engine's text from Athena (queries that export arrays turn them into JSON text in SQL).
   */
  readonly rows: Record<string, unknown>[];
  /** Local runs: the partitions present in the data folder that the query's parameters select. */
  readonly partitionsCovered?: PartitionRef[];
  /** Local runs of a query that reads cloudtrail_events: the CloudTrail files it read. */
  readonly cloudTrailFiles?: InputFileRef[];
  /** What the caller should say beside the rows (on stderr): e.g. that principal attribution was unavailable. */
  readonly warnings?: string[];
}
