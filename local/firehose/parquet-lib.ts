/**
 * parquetjs-lite ships no type declarations; this is the typed surface we use of it, kept here
 * (rather than an ambient `declare module`) so it cannot clash with another module's declarations.
 */
export interface ParquetWriterInstance {
  appendRow(row: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export interface ParquetLib {
  ParquetSchema: new (definition: Record<string, unknown>) => unknown;
  ParquetWriter: {
    openFile(schema: unknown, path: string, options?: Record<string, unknown>): Promise<ParquetWriterInstance>;
  };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const parquet = require('parquetjs-lite') as ParquetLib;
