/**
 * What a provider may write, fixed at deploy time: for each Sid, the principals and actions its
 * statement may name. The provider's IAM grant is an ARN pattern over the whole account (it must
 * not grow per table), so without these bounds anyone allowed to invoke the function could have
 * it write any statement into any stream's or table's policy, or remove a team's statement. With
 * them, an invocation can only (re)write or remove one of our own statements, as deployed.
 *
 * Pure: the construct checks its statements at synth with the same function the Lambda uses.
 */
import type { PolicyStatement } from './policy-document';

export interface AllowedStatement {
  readonly sid: string;
  /** IAM principal ARNs the statement may grant to (Principal.AWS). */
  readonly principals: readonly string[];
  /** Actions the statement may grant, exactly (no wildcards are accepted unless listed). */
  readonly actions: readonly string[];
  /**
   * The provider may remove statements of this Sid but never write one: for the Sid an earlier
   * release wrote in every source stack (COLLECTOR_STREAM_SID, WATCH_TABLE_SID), which a stack of
   * chunk k > 0 must still be able to take out when its old custom resources are replaced or
   * deleted (lib/constructs/stream-resource-policy.ts, legacyRemovals). Removing can only narrow
   * what the collector and the watch may do, never widen it.
   * @default false
   */
  readonly removeOnly?: boolean;
}

/** The environment variable the provider reads its bounds from, as JSON (a few hundred bytes). */
export const ALLOWED_STATEMENTS_ENV = 'ALLOWED_STATEMENTS';

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** Parses the bounds from the environment; throws one line naming the variable when unusable. */
export function parseAllowedStatements(text: string | undefined): AllowedStatement[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    throw new Error(`environment variable ${ALLOWED_STATEMENTS_ENV} must be a JSON list of {sid, principals, actions, removeOnly?}, got ${JSON.stringify(text)}`);
  }
  const ok = (e: any) => typeof e?.sid === 'string' && Array.isArray(e.principals) && e.principals.every((p: unknown) => typeof p === 'string') && Array.isArray(e.actions) && e.actions.every((a: unknown) => typeof a === 'string') && (e.removeOnly === undefined || typeof e.removeOnly === 'boolean');
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every(ok)) {
    throw new Error(`environment variable ${ALLOWED_STATEMENTS_ENV} must be a non-empty JSON list of {sid, principals, actions, removeOnly?}, got ${JSON.stringify(text)}`);
  }
  return parsed as AllowedStatement[];
}

/** The bounds for `sid`, or undefined when this provider may not touch (write or remove) statements of that Sid. */
export function boundsFor(allowed: readonly AllowedStatement[], sid: string): AllowedStatement | undefined {
  return allowed.find((a) => a.sid === sid);
}

/**
 * Why `statement` (already known to have Sid `sid`) may not be written to `resourceArn`, in one
 * line; undefined when it may. Allowed: Effect Allow; Principal {AWS: one or more allowed ARNs};
 * Action one or more allowed actions; Resource exactly the resource the policy is attached to (or
 * `*`, which means that resource); Condition anything (it only narrows). Anything else, including
 * NotPrincipal, NotAction and NotResource, is refused.
 */
export function statementOutsideBounds(statement: PolicyStatement, sid: string, resourceArn: string, allowed: readonly AllowedStatement[]): string | undefined {
  const bounds = boundsFor(allowed, sid);
  const prefix = `statement ${sid} is outside what this provider may write`;
  const writable = allowed.filter((a) => a.removeOnly !== true);
  if (!bounds || bounds.removeOnly === true) return `${prefix}: Sid ${sid} is not one of ${writable.map((a) => a.sid).join(', ')}${bounds ? ` (it may only be removed)` : ''}`;
  const known = new Set(['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition']);
  const unknown = Object.keys(statement).filter((k) => !known.has(k));
  if (unknown.length > 0) return `${prefix}: it has ${unknown.join(', ')} (only Sid, Effect, Principal, Action, Resource and Condition are accepted)`;
  if (statement.Effect !== 'Allow') return `${prefix}: Effect must be "Allow", got ${JSON.stringify(statement.Effect)}`;
  const principal = statement.Principal as Record<string, unknown> | undefined;
  if (typeof principal !== 'object' || principal === null || Object.keys(principal).join() !== 'AWS') return `${prefix}: Principal must be {"AWS": ...}, got ${JSON.stringify(statement.Principal)}`;
  const badPrincipal = list(principal.AWS).find((p) => typeof p !== 'string' || !bounds.principals.includes(p));
  if (badPrincipal !== undefined || list(principal.AWS).length === 0) return `${prefix}: principal ${JSON.stringify(badPrincipal)} is not one of ${bounds.principals.join(', ')}`;
  const actions = list(statement.Action);
  const badAction = actions.find((a) => typeof a !== 'string' || !bounds.actions.includes(a));
  if (badAction !== undefined || actions.length === 0) return `${prefix}: action ${JSON.stringify(badAction)} is not one of ${bounds.actions.join(', ')}`;
  const resources = list(statement.Resource);
  const badResource = resources.find((r) => r !== resourceArn && r !== '*');
  if (badResource !== undefined || resources.length === 0) return `${prefix}: Resource must be ${resourceArn} (the resource the policy is attached to), got ${JSON.stringify(statement.Resource)}`;
  return undefined;
}
