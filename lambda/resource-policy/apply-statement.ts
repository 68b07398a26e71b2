/**
 * Adds our one statement to a DynamoDB table's or stream's resource-based policy, or takes it out,
 * by read-modify-write: GetResourcePolicy, merge (policy-document.ts), then PutResourcePolicy or
 * DeleteResourcePolicy with ExpectedRevisionId, so a change someone else made in between is never
 * overwritten: the write is refused and we read again.
 *
 * Documented behaviour this relies on (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/):
 * - API_PutResourcePolicy.html: a write with an ExpectedRevisionId that does not match the current
 *   policy's RevisionId, or with one when there is no policy, fails with PolicyNotFoundException;
 *   "To conditionally attach a policy when no policy exists for the resource, specify NO_POLICY for
 *   the revision ID." Putting the same document again returns the same revision (idempotent).
 * - API_DeleteResourcePolicy.html: the same ExpectedRevisionId rule, PolicyNotFoundException.
 * - API_GetResourcePolicy.html: PolicyNotFoundException when the resource has no policy,
 *   ResourceNotFoundException when the table or stream does not exist. Reads are eventually
 *   consistent: right after a write they may return the previous policy. A stale read here only
 *   costs one refused conditional write and another read, never a lost statement.
 *
 * Transient refusals (IAM propagation, the 15-second block) are retried with capped, jittered
 * backoff until the deadline (retry.ts); then the call fails with one line naming the resource and
 * the last error.
 */
import { DeleteResourcePolicyCommand, DynamoDBClient, GetResourcePolicyCommand, PutResourcePolicyCommand } from '@aws-sdk/client-dynamodb';
import type { MinimalLogger } from '../core/logger';
import { parsePolicyDocument, PolicyDocument, PolicyStatement, removeStatement, sameJson, serializePolicy, statementSid, upsertStatement } from './policy-document';
import { BackoffOptions, ErrorLike, nextWait, retryReason } from './retry';

/** How long to wait before a second read confirms that a resource has no policy (see removeStatementFrom). */
export const CONFIRM_ABSENCE_MS = 5000;

/** ExpectedRevisionId meaning "there must be no policy yet" (API_PutResourcePolicy.html). */
export const NO_POLICY_REVISION = 'NO_POLICY';

export interface ApplyOptions {
  readonly dynamodb: DynamoDBClient;
  /** Epoch milliseconds after which no further try starts. */
  readonly deadlineMs: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default a setTimeout promise */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
  readonly backoff?: BackoffOptions;
  readonly logger?: MinimalLogger;
}

/** What a call did, for the log and the custom resource's response. */
export interface ApplyResult {
  readonly outcome: 'written' | 'unchanged' | 'deleted-policy' | 'already-gone';
  /** The policy's revision afterwards, when there is one and DynamoDB told us. */
  readonly revisionId?: string;
  /** Tries of the write (0 when nothing needed writing). */
  readonly writes: number;
}

/** The one-line failure a CloudFormation event shows: names the resource and the last error. */
export class ResourcePolicyError extends Error {
  override readonly name = 'ResourcePolicyError';
}

interface CurrentPolicy {
  readonly document: PolicyDocument;
  readonly revisionId: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Makes `statement` part of the resource's policy (replacing our earlier version of it), keeping every other statement. */
export async function putStatement(resourceArn: string, statement: PolicyStatement, options: ApplyOptions): Promise<ApplyResult> {
  const sid = statementSid(statement);
  return retrying(`add statement ${sid} to`, resourceArn, options, async () => {
    const current = await readPolicy(resourceArn, options.dynamodb);
    if (current === 'no-resource') throw new ResourcePolicyError(`${resourceArn} does not exist (ResourceNotFoundException): check the ARN, and that the table's stream is enabled`);
    const merged = upsertStatement(current?.document, statement);
    if (current && sameJson(current.document, merged)) return { done: { outcome: 'unchanged', revisionId: current.revisionId, writes: 0 } };
    const out = await options.dynamodb.send(
      new PutResourcePolicyCommand({ ResourceArn: resourceArn, Policy: serializePolicy(merged, resourceArn), ExpectedRevisionId: current?.revisionId ?? NO_POLICY_REVISION }),
    );
    return { done: { outcome: 'written', revisionId: out.RevisionId, writes: 1 } };
  });
}

/**
 * Takes the statement(s) with `sid` out of the resource's policy, keeping every other statement;
 * deletes the policy when ours was its last statement. A resource or policy that is already gone
 * is success: there is nothing of ours left on it.
 */
export async function removeStatementFrom(resourceArn: string, sid: string, options: ApplyOptions): Promise<ApplyResult> {
  const sleep = options.sleep ?? defaultSleep;
  return retrying(`remove statement ${sid} from`, resourceArn, options, async () => {
    let current = await readPolicy(resourceArn, options.dynamodb);
    if (current === undefined) {
      // Right after a PutResourcePolicy, GetResourcePolicy "might return PolicyNotFoundException ...
      // Wait for a few seconds, and then try the GetResourcePolicy request again" (API_GetResourcePolicy.html).
      // A rollback deletes just after our create wrote: read once more before calling the policy gone.
      await sleep(CONFIRM_ABSENCE_MS);
      current = await readPolicy(resourceArn, options.dynamodb);
    }
    if (current === undefined || current === 'no-resource') return { done: { outcome: 'already-gone', writes: 0 } };
    const remaining = removeStatement(current.document, sid);
    if (remaining === current.document) return { done: { outcome: 'unchanged', revisionId: current.revisionId, writes: 0 } };
    if (remaining === undefined) {
      await options.dynamodb.send(new DeleteResourcePolicyCommand({ ResourceArn: resourceArn, ExpectedRevisionId: current.revisionId }));
      return { done: { outcome: 'deleted-policy', writes: 1 } };
    }
    const out = await options.dynamodb.send(
      new PutResourcePolicyCommand({ ResourceArn: resourceArn, Policy: serializePolicy(remaining, resourceArn), ExpectedRevisionId: current.revisionId }),
    );
    return { done: { outcome: 'written', revisionId: out.RevisionId, writes: 1 } };
  }, { goneIsSuccess: true });
}

/** The current policy; undefined when the resource has none; 'no-resource' when the resource itself does not exist. */
async function readPolicy(resourceArn: string, dynamodb: DynamoDBClient): Promise<CurrentPolicy | undefined | 'no-resource'> {
  try {
    const out = await dynamodb.send(new GetResourcePolicyCommand({ ResourceArn: resourceArn }));
    if (out.Policy === undefined || out.RevisionId === undefined) return undefined;
    return { document: parsePolicyDocument(out.Policy, resourceArn), revisionId: out.RevisionId };
  } catch (err) {
    const name = (err as ErrorLike).name;
    if (name === 'PolicyNotFoundException') return undefined;
    if (name === 'ResourceNotFoundException') return 'no-resource';
    throw err;
  }
}

type Attempt = () => Promise<{ done: ApplyResult }>;

/**
 * Runs one read-modify-write attempt until it succeeds, a non-transient error ends it, or the
 * deadline passes. A refused conditional write (PolicyNotFoundException) means "someone changed
 * the policy, or our read was stale": read again, after a short wait (the read is eventually
 * consistent, so an immediate re-read may be just as stale).
 */
async function retrying(action: string, resourceArn: string, options: ApplyOptions, attempt: Attempt, flags: { goneIsSuccess?: boolean } = {}): Promise<ApplyResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  let writes = 0;
  for (let tries = 0; ; tries++) {
    let reason: string;
    let last: ErrorLike;
    try {
      const { done } = await attempt();
      return { ...done, writes: writes + done.writes };
    } catch (err) {
      if (err instanceof ResourcePolicyError || !(err instanceof Error)) throw err;
      last = err;
      if (err.name === 'ResourceNotFoundException' && flags.goneIsSuccess) return { outcome: 'already-gone', writes };
      if (err.name === 'PolicyDocumentError') throw new ResourcePolicyError(`could not ${action} the resource policy of ${resourceArn}: ${err.message}`);
      const transient = err.name === 'PolicyNotFoundException' ? 'revision-conflict' : retryReason(err);
      if (transient === undefined) throw failure(action, resourceArn, err, tries + 1);
      reason = transient;
      // Reads answer these themselves (readPolicy), so a transient refusal is always of a write.
      writes++;
    }
    const wait = nextWait(tries, random(), now(), options.deadlineMs, options.backoff);
    if (wait === undefined) throw failure(action, resourceArn, last, tries + 1, true);
    options.logger?.warn('resource policy change refused for now; retrying', { resourceArn, reason, error: `${last.name}: ${last.message}`, waitMs: wait, attempt: tries + 1 });
    await sleep(wait);
  }
}

function failure(action: string, resourceArn: string, err: ErrorLike, tries: number, timedOut = false): ResourcePolicyError {
  const why = timedOut ? ` after ${tries} tries, until the retry deadline` : '';
  const message = `${err.name ?? 'Error'}: ${oneLine(err.message ?? '')}`;
  return new ResourcePolicyError(`could not ${action} the resource policy of ${resourceArn}${why}: ${message}`);
}

/** Error messages can carry newlines; a CloudFormation reason is one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
