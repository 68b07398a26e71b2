/**
 * `ddb-audit query --list`: the bundled queries and their parameters, in the output format asked
 * for (--format table|csv|json), as every other query output is.
 */
import { listQueryNames, loadQuery } from './catalog';
import { formatResult, OutputFormat } from './format';
import type { QueryColumn } from './result';

const COLUMNS: readonly QueryColumn[] = [
  { name: 'name', type: 'varchar' },
  { name: 'summary', type: 'varchar' },
  { name: 'parameters', type: 'varchar' },
];

/** One row per query: its name, summary, and parameters (optional ones in [brackets]). */
export function queryListingRows(): Record<string, unknown>[] {
  return listQueryNames().map((name) => {
    const q = loadQuery(name);
    return { name, summary: q.summary, parameters: q.params.map((p) => (p.optional ? `[${p.name}]` : p.name)).join(' ') };
  });
}

export function formatQueryListing(format: OutputFormat): string {
  const rows = queryListingRows();
  // For people: each summary whole on its own line (a table would cut the summaries, the point of it).
  if (format === 'table') return `${rows.map((r) => `${String(r.name).padEnd(22)} ${r.summary}\n${''.padEnd(22)} parameters: ${r.parameters}`).join('\n')}\n`;
  return formatResult(format, COLUMNS, rows);
}
