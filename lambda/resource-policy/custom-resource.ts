/**
 * The custom resource "one statement in one DynamoDB resource policy"
 * (Custom::DdbAuditResourcePolicyStatement): what Create, Update and Delete mean, and the response
 * CloudFormation gets. Generic over the resource (a table or a stream) and the statement, so
 * granting the collector a stream and (later) a watch role DescribeTable on a table are the same
 * code with different properties.
 *
 * Properties (all strings, as CloudFormation passes them):
 * - ResourceArn: the table or stream ARN;
 * - Statement: the statement as JSON text, with a Sid that identifies it.
 *
 * Physical id: `<Sid>@<ResourceArn>`. It is the same for as long as the resource and Sid are, so an
 * Update of the statement alone is an ordinary update. A new ARN (a re-enabled stream) or Sid gives
 * a new id: CloudFormation then treats the update as a replacement and, once the whole stack update
 * has succeeded, sends a Delete for the old id, which removes our statement from the old resource
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html).
 * If the update fails instead, the rollback leaves the old resource's statement in place. Delete
 * reads the resource and Sid from the physical id, never from properties, so it removes exactly
 * what was created.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { oneLine, putStatement, removeStatementFrom, type ApplyOptions, type ApplyResult } from './apply-statement';
import { RESOURCE_POLICY_PROPERTY } from './contract';
import { PolicyStatement, statementSid } from './policy-document';
import { AllowedStatement, boundsFor, statementOutsideBounds } from './statement-bounds';

/**
 * A DynamoDB table or stream ARN: arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME[/stream/LABEL].
 * Table names are 3-255 of [A-Za-z0-9_.-].
 */
const DYNAMODB_RESOURCE_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}(?:\/stream\/[^\s@]+)?$/;

/** The response body fields we set (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html). */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Record<string, string>;
}

interface Target {
  readonly resourceArn: string;
  readonly sid: string;
}

export function physicalResourceId(target: Target): string {
  return `${target.sid}@${target.resourceArn}`;
}

/** The resource and Sid a physical id of ours names, or undefined for any other id. */
export function parsePhysicalResourceId(id: string): Target | undefined {
  const at = id.indexOf('@');
  if (at <= 0) return undefined;
  const sid = id.slice(0, at);
  const resourceArn = id.slice(at + 1);
  if (!/^[A-Za-z0-9]+$/.test(sid) || !DYNAMODB_RESOURCE_ARN.test(resourceArn)) return undefined;
  return { sid, resourceArn };
}

/**
 * Reads and checks the properties of a Create or Update, including that the statement is one this
 * provider may write (statement-bounds.ts); throws one line naming what is wrong.
 */
export function readProperties(properties: Record<string, unknown>, allowed: readonly AllowedStatement[]): { resourceArn: string; statement: PolicyStatement; sid: string } {
  const resourceArn = properties[RESOURCE_POLICY_PROPERTY.resourceArn];
  if (typeof resourceArn !== 'string' || !DYNAMODB_RESOURCE_ARN.test(resourceArn)) {
    throw new Error(`property ${RESOURCE_POLICY_PROPERTY.resourceArn} must be a DynamoDB table or stream ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME[/stream/LABEL]), got ${JSON.stringify(resourceArn)}`);
  }
  const text = properties[RESOURCE_POLICY_PROPERTY.statement];
  let statement: unknown;
  try {
    statement = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch (err) {
    throw new Error(`property ${RESOURCE_POLICY_PROPERTY.statement} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) {
    throw new Error(`property ${RESOURCE_POLICY_PROPERTY.statement} must be one policy statement as a JSON object string, got ${JSON.stringify(text)}`);
  }
  const sid = statementSid(statement as PolicyStatement);
  const outside = statementOutsideBounds(statement as PolicyStatement, sid, resourceArn, allowed);
  if (outside !== undefined) throw new Error(outside);
  return { resourceArn, statement: statement as PolicyStatement, sid };
}

/** Placeholder physical id for a Create whose properties were unusable: its Delete finds nothing of ours to remove. */
function unusableId(event: CloudFormationCustomResourceEvent): string {
  return `invalid-properties-${event.RequestId}`;
}

/**
 * Carries out one CloudFormation request and returns the response to send. Never throws: every
 * failure becomes a FAILED response whose Reason is one line (CloudFormation shows it in the stack
 * events).
 * @param allowedStatements the statements this provider may write (read per request, so a broken
 *   setting fails the request with its name instead of leaving CloudFormation without an answer)
 */
export async function handleResourcePolicyEvent(event: CloudFormationCustomResourceEvent, options: ApplyOptions, allowedStatements: () => readonly AllowedStatement[]): Promise<CustomResourceResponse> {
  const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
  // The id a failure answers with. A failed Update keeps its old id, so CloudFormation's rollback does
  // not take it for a replacement. A failed Create gets the id of what it tried once that is known, so
  // the rollback's Delete removes our Sid there if a try did land (a write can succeed and still time out).
  let failureId = event.RequestType === 'Create' ? unusableId(event) : event.PhysicalResourceId;
  try {
    const allowed = allowedStatements();
    if (event.RequestType === 'Delete') {
      const target = parsePhysicalResourceId(event.PhysicalResourceId);
      // Not an id of ours (a Create that failed on its properties): nothing was written.
      if (target === undefined) return { ...base, Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId };
      // A Sid outside this provider's bounds is not ours to remove: a team's statement (or another chunk's)
      // stays whatever the request says. A removeOnly Sid (the legacy one, statement-bounds.ts) may be removed.
      if (boundsFor(allowed, target.sid) === undefined) {
        options.logger?.warn('delete of a statement this provider may not write: left in place', { physicalResourceId: event.PhysicalResourceId });
        return { ...base, Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId, Data: { Outcome: 'not-allowed' } };
      }
      const result = await removeStatementFrom(target.resourceArn, target.sid, options);
      return { ...base, Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId, Data: data(result) };
    }
    const wanted = readProperties(event.ResourceProperties, allowed);
    const id = physicalResourceId(wanted);
    if (event.RequestType === 'Create') failureId = id;
    const result = await putStatement(wanted.resourceArn, wanted.statement, options);
    return { ...base, Status: 'SUCCESS', PhysicalResourceId: id, Data: data(result) };
  } catch (err) {
    return { ...base, Status: 'FAILED', Reason: reason(err), PhysicalResourceId: failureId };
  }
}

function data(result: ApplyResult): Record<string, string> {
  return { Outcome: result.outcome, ...(result.revisionId ? { RevisionId: result.revisionId } : {}) };
}

/** CloudFormation caps the whole response at 4,096 bytes; a Reason this long leaves room for the rest. */
const MAX_REASON_CHARS = 2000;

function reason(err: unknown): string {
  const text = oneLine(err instanceof Error ? err.message : String(err));
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 1)}…` : text;
}
