/**
 * Parameter values: validated before they reach SQL, so a bad value is a one-line error naming
 * the parameter rather than an engine error (or worse, a query that silently matches nothing).
 */
import { HEARTBEAT_TABLE_NAME } from '../../schemas/deployment';
import type { ParamSpec } from './catalog';

export const PARAM_TYPES = ['date', 'account_id', 'table_name', 'attribute', 'text', 'boolean', 'match_by'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export function isParamType(value: string): value is ParamType {
  return (PARAM_TYPES as readonly string[]).includes(value);
}

/** The value an optional parameter takes when not given: the query reads it as "all". */
export const ALL = '*';

/** What an optional boolean takes when not given: a switch is off unless asked for ('*' would mean nothing). */
const BOOLEAN_DEFAULT = 'false';

/**
 * The switch every bundled query (but source-freshness, which shows them) has for the heartbeat's
 * rows: ordinary change records of the table HEARTBEAT_TABLE_NAME, left out unless asked for.
 */
export const INCLUDE_HEARTBEAT = 'include_heartbeat';

/** The value an optional parameter of this type takes when not given. */
function defaultValue(type: ParamType): string {
  return type === 'boolean' ? BOOLEAN_DEFAULT : ALL;
}

export class QueryParamError extends Error {
  override name = 'QueryParamError';
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ACCOUNT_ID = /^\d{12}$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** actor-activity's sides: a misspelt one would otherwise match nothing, which reads as "no changes". */
export const MATCH_BY_VALUES = ['attribute', 'principal'] as const;

/** Why a value is not valid for a type, or undefined when it is. */
export function invalidReason(type: ParamType, value: string): string | undefined {
  switch (type) {
    case 'date': {
      const m = DATE.exec(value);
      if (!m) return 'is not a date yyyy-MM-dd';
      const date = new Date(`${value}T00:00:00Z`);
      if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) return 'is not a real calendar date';
      return undefined;
    }
    case 'account_id':
      return ACCOUNT_ID.test(value) ? undefined : 'is not a 12-digit account id (keep leading zeros)';
    case 'table_name':
      return TABLE_NAME.test(value) ? undefined : 'is not a DynamoDB table name (3-255 of letters, digits, _ . -)';
    case 'attribute':
      return ATTRIBUTE.test(value) ? undefined : 'is not a top-level attribute name (letters, digits, _; not starting with a digit)';
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : 'is not true or false';
    case 'match_by':
      return (MATCH_BY_VALUES as readonly string[]).includes(value) ? undefined : `is not one of ${MATCH_BY_VALUES.join(', ')}`;
    case 'text':
      // eslint-disable-next-line no-control-regex
      return /[\u0000]/.test(value) ? 'contains a NUL character' : value.length === 0 ? 'is empty' : undefined;
  }
}

/**
 * Checks the given values against a query's declared parameters and returns the full set
 * (optional ones defaulted to ALL). Unknown, missing and invalid parameters are errors.
 */
export function resolveParams(queryName: string, specs: readonly ParamSpec[], given: Readonly<Record<string, string>>): Record<string, string> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const name of Object.keys(given)) {
    if (!byName.has(name)) {
      throw new QueryParamError(`query ${queryName} has no parameter "${name}" (parameters: ${specs.map((s) => s.name).join(', ')})`);
    }
  }
  const values: Record<string, string> = {};
  for (const spec of specs) {
    const value = given[spec.name];
    if (value === undefined) {
      if (spec.optional) {
        values[spec.name] = defaultValue(spec.type);
        continue;
      }
      throw new QueryParamError(`query ${queryName} needs parameter "${spec.name}" (${spec.type}: ${spec.description})`);
    }
    if (!(spec.optional && value === ALL && spec.type !== 'boolean')) {
      const reason = invalidReason(spec.type, value);
      if (reason) throw new QueryParamError(`parameter ${spec.name} of query ${queryName}: ${JSON.stringify(value)} ${reason}`);
    }
    values[spec.name] = value;
  }
  const from = values.from;
  const to = values.to;
  if (from !== undefined && to !== undefined && from > to) {
    throw new QueryParamError(`parameter from (${from}) of query ${queryName} is after to (${to})`);
  }
  // Asking for the heartbeat's table by name while its rows are left out would return nothing,
  // which reads as "no changes": say so instead.
  if (values[INCLUDE_HEARTBEAT] === 'false' && values.table_name === HEARTBEAT_TABLE_NAME) {
    throw new QueryParamError(`table_name ${HEARTBEAT_TABLE_NAME} is the pipeline's heartbeat, whose rows query ${queryName} leaves out: add --param ${INCLUDE_HEARTBEAT}=true`);
  }
  return values;
}
