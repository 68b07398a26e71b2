/**
 * The bundled query library: athena-queries/*.sql. Each file's header declares its parameters
 * (`--   :name  type  description`, type ending in `?` when optional) and this module reads them,
 * so the file stays the single place a query and its inputs are defined.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findPlaceholders } from './placeholders';
import { isParamType, ParamType } from './params';

export const QUERY_DIR = resolve(__dirname, '..', '..', 'athena-queries');

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  readonly optional: boolean;
  readonly description: string;
}

export interface QueryDefinition {
  readonly name: string;
  readonly file: string;
  /** The file's text, header included, with placeholders unreplaced. */
  readonly text: string;
  /** First header line after the name, for listings. */
  readonly summary: string;
  readonly params: readonly ParamSpec[];
}

export class UnknownQueryError extends Error {
  override name = 'UnknownQueryError';
}

export function listQueryNames(dir: string = QUERY_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -'.sql'.length))
    .sort();
}

const QUERY_NAME = /^[a-z0-9][a-z0-9-]*$/;
const PARAM_LINE = /^--\s+:([a-z_][a-z0-9_]*)\s+([a-z_]+)(\?)?\s+(.*)$/;

export function loadQuery(name: string, dir: string = QUERY_DIR): QueryDefinition {
  const names = listQueryNames(dir);
  if (!QUERY_NAME.test(name) || !names.includes(name)) {
    throw new UnknownQueryError(`unknown query "${name}" (bundled queries: ${names.join(', ')})`);
  }
  const file = join(dir, `${name}.sql`);
  const text = readFileSync(file, 'utf8');
  return { name, file, text, summary: summaryOf(text, name), params: parseParams(text, name) };
}

export function parseParams(text: string, name: string): ParamSpec[] {
  const params: ParamSpec[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('--')) break; // the header is the leading comment block
    const match = PARAM_LINE.exec(line);
    if (!match) continue;
    const [, param, type, optional, description] = match as unknown as [string, string, string, string | undefined, string];
    if (!isParamType(type)) throw new Error(`${name}.sql declares :${param} with unknown type "${type}"`);
    params.push({ name: param, type, optional: optional === '?', description: description.trim() });
  }
  const declared = new Set(params.map((p) => p.name));
  for (const use of findPlaceholders(text)) {
    if (!declared.has(use.name)) throw new Error(`${name}.sql uses :${use.name} but its header does not declare it`);
  }
  return params;
}

function summaryOf(text: string, name: string): string {
  const first = text.split('\n')[0] ?? '';
  return first.replace(/^--\s*/, '').replace(new RegExp(`^${name}:\\s*`), '');
}
