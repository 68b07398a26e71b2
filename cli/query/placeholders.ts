/**
 * The one thing both engines disagree on that the query files need: parameters. Athena named
 * queries and DuckDB have different parameter syntaxes, so the files use `:name` placeholders and
 * this module replaces each with a quoted SQL literal (single quotes doubled; neither engine treats
 * backslash as an escape in a standard string literal). Placeholders inside comments, string
 * literals and quoted identifiers are left alone, so the header keeps documenting them.
 */

export interface PlaceholderUse {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

const NAME = /[a-z_][a-z0-9_]*/y;

/** Every `:name` placeholder in code (not in comments or quotes), in text order. */
export function findPlaceholders(sql: string): PlaceholderUse[] {
  const uses: PlaceholderUse[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"') {
      i = skipQuoted(sql, i, c);
    } else if (c === ':' && next !== ':' && sql[i - 1] !== ':') {
      NAME.lastIndex = i + 1;
      const match = NAME.exec(sql);
      if (match) {
        uses.push({ name: match[0], start: i, end: i + 1 + match[0].length });
        i += 1 + match[0].length;
      } else i++;
    } else i++;
  }
  return uses;
}

// A quote is escaped by doubling it ('it''s', "a""b").
function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Replaces every placeholder with its value as a literal; throws naming the first one without a value. */
export function substitutePlaceholders(sql: string, values: Readonly<Record<string, string>>): string {
  let out = '';
  let last = 0;
  for (const use of findPlaceholders(sql)) {
    const value = values[use.name];
    if (value === undefined) throw new Error(`no value for placeholder :${use.name}`);
    out += sql.slice(last, use.start) + quoteLiteral(value);
    last = use.end;
  }
  return out + sql.slice(last);
}
