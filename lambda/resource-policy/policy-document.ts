/**
 * Merging one statement into a resource-based policy, and taking it out again, without touching
 * anything else in the document. Pure: no AWS, no I/O.
 *
 * DynamoDB's PutResourcePolicy replaces a table's or stream's whole policy
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutResourcePolicy.html), so
 * a provider that writes "its" policy would erase every statement a team put there itself. Here a
 * statement is ours exactly when its Sid is ours: every other statement, and every other top-level
 * key (Version, Id, ...), comes through as it was read.
 */

/** A policy statement as read from or written to a policy document. Only Sid matters here. */
export type PolicyStatement = { readonly Sid?: unknown } & Readonly<Record<string, unknown>>;

/** A policy document: Statement is a list (or, as IAM's grammar allows, one statement object). */
export type PolicyDocument = Readonly<Record<string, unknown>> & { readonly Statement: PolicyStatement | readonly PolicyStatement[] };

/** The document a policy starts as when a resource has none. */
export const POLICY_VERSION = '2012-10-17';

/**
 * DynamoDB's limit on a resource-based policy: "20 KB", counting whitespace
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-considerations.html).
 * Documents are written without whitespace to leave the team's statements the most room.
 */
export const MAX_POLICY_BYTES = 20 * 1024;

/** IAM's Sid grammar: ASCII letters and digits only. */
const SID = /^[A-Za-z0-9]+$/;

export class PolicyDocumentError extends Error {
  override readonly name = 'PolicyDocumentError';
}

/** The Sid a statement is recognised by; throws a one-line error when it has none we can use. */
export function statementSid(statement: PolicyStatement): string {
  const sid = statement.Sid;
  if (typeof sid !== 'string' || !SID.test(sid)) {
    throw new PolicyDocumentError(`statement Sid must be 1 or more ASCII letters and digits (it identifies our statement among others), got ${JSON.stringify(sid)}`);
  }
  return sid;
}

/**
 * Parses a policy document as DynamoDB returns it (GetResourcePolicy's Policy string).
 * @param where names the resource in the error, e.g. its ARN
 */
export function parsePolicyDocument(text: string, where: string): PolicyDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PolicyDocumentError(`the resource policy of ${where} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new PolicyDocumentError(`the resource policy of ${where} is not a JSON object`);
  const statement = parsed.Statement;
  if (!(Array.isArray(statement) ? statement.every(isObject) : isObject(statement))) {
    throw new PolicyDocumentError(`the resource policy of ${where} has no Statement list of objects`);
  }
  return parsed as PolicyDocument;
}

/** The document's statements as a list (a single Statement object is a list of one). */
export function statementsOf(policy: PolicyDocument): readonly PolicyStatement[] {
  return Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement as PolicyStatement];
}

/**
 * The policy with `statement` in it: replaces the statement that has its Sid, in place (and drops
 * any further copies of that Sid), or appends it. Everything else is kept as it was.
 * @param policy the current policy, or undefined when the resource has none
 */
export function upsertStatement(policy: PolicyDocument | undefined, statement: PolicyStatement): PolicyDocument {
  const sid = statementSid(statement);
  if (policy === undefined) return { Version: POLICY_VERSION, Statement: [statement] };
  const kept: PolicyStatement[] = [];
  let placed = false;
  for (const existing of statementsOf(policy)) {
    if (existing.Sid !== sid) kept.push(existing);
    else if (!placed) {
      kept.push(statement);
      placed = true;
    }
  }
  if (!placed) kept.push(statement);
  return { ...policy, Statement: kept };
}

/**
 * The policy without the statement(s) of `sid`; `undefined` when no statement would remain (the
 * caller deletes the policy then: DynamoDB has no empty policy). Returns `policy` itself when it
 * has no statement of that Sid, so "nothing to do" is `result === policy`.
 */
export function removeStatement(policy: PolicyDocument, sid: string): PolicyDocument | undefined {
  const statements = statementsOf(policy);
  const kept = statements.filter((s) => s.Sid !== sid);
  if (kept.length === statements.length) return policy;
  if (kept.length === 0) return undefined;
  return { ...policy, Statement: kept };
}

/** The text PutResourcePolicy is given: compact JSON, refused here when over DynamoDB's limit. */
export function serializePolicy(policy: PolicyDocument, where: string): string {
  const text = JSON.stringify(policy);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_POLICY_BYTES) {
    throw new PolicyDocumentError(`the resource policy of ${where} would be ${bytes} bytes with our statement, over DynamoDB's ${MAX_POLICY_BYTES}-byte limit`);
  }
  return text;
}

/**
 * Equality of two JSON values as policies mean them: object keys in any order, arrays in order.
 * Used to skip a write that would change nothing (every write blocks the next one on the same
 * resource for 15 seconds).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson(a[k], b[k]));
  }
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
