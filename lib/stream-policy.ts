/**
 * The contract between the audit account and a source account: the collector's role name, and
 * the resource-based policy a source stream carries so that role can read it.
 *
 * Pure data (no aws-cdk-lib): the CDK stacks, the `ddb-audit sources` command and source teams'
 * own CDK apps (TableV2 `streamResourcePolicy`) all build the same document from here.
 */

/** The only actions the collector needs on a stream (ListStreams is account-level and not grantable here). */
export const STREAM_READ_ACTIONS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'] as const;

/** Prefix of the collector's execution role name. */
export const COLLECTOR_ROLE_NAME_PREFIX = 'ddb-audit-collector';

/** Name of the collector function in the audit account (one per region). */
export const COLLECTOR_FUNCTION_NAME = 'ddb-audit-collector';

/**
 * The collector role's name. IAM names are global to an account while the pipeline is regional
 * (cross-account stream reading only works within one region), so the region is part of it.
 */
export function collectorRoleName(region: string): string {
  return `${COLLECTOR_ROLE_NAME_PREFIX}-${region}`;
}

export interface CollectorLocation {
  readonly auditAccountId: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
}

/**
 * The collector role's ARN, known before the role exists: source accounts name it in their
 * stream policies, and the role has a fixed name for exactly this reason.
 */
export function collectorRoleArn(location: CollectorLocation): string {
  return `arn:${location.partition ?? 'aws'}:iam::${location.auditAccountId}:role/${collectorRoleName(location.region)}`;
}

// A type alias, not an interface, so it is assignable to a generic JSON statement (index signature).
export type StreamPolicyStatement = {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Principal: { readonly AWS: string | string[] };
  readonly Action: string[];
  readonly Resource: string;
};

export interface StreamPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: StreamPolicyStatement[];
}

/**
 * The Sid of our statement in a stream's policy, as source stack 0 of an account writes it (and as
 * every source stack wrote it before per-chunk Sids). The source stack's provider recognises its
 * own statement by it, among any the source team has there: never reuse it for another statement.
 * Source stack k > 0 writes collectorStreamSid(k).
 */
export const COLLECTOR_STREAM_SID = 'DdbAuditCollectorReadsStream';

/**
 * The Sid that source stack `chunk` of an account (lib/stack-chunks.ts) gives its statements: the
 * legacy Sid for chunk 0, the legacy Sid + `Chunk<k>` for chunk k > 0.
 *
 * Why per chunk: a source moves between source stacks (a removal moves the first source of each
 * later chunk down; a change of SOURCES_PER_SOURCE_STACK moves many), and the losing and gaining
 * stacks deploy in no fixed order. With one Sid for all chunks, a gaining stack deployed first
 * merges the same Sid (no change) and the losing stack's cleanup Delete then removes it: the grant
 * is gone. With a Sid per chunk every move is "create Sid B, delete Sid A" on different Sids, so in
 * either order the stream holds at least one of them at every moment, and exactly the new chunk's
 * one once both stacks have deployed (test/unit/stream-policy-chunk-moves.unit.test.ts).
 * Chunk 0 keeps the legacy Sid, so an existing deployment's first sources see no change.
 * IAM's Sid grammar is letters and digits only (lambda/resource-policy/policy-document.ts).
 */
export function collectorStreamSid(chunk: number): string {
  return chunkedSid(COLLECTOR_STREAM_SID, chunk);
}

function chunkedSid(legacy: string, chunk: number): string {
  if (!Number.isInteger(chunk) || chunk < 0) throw new Error(`source stack chunk must be a non-negative integer, got ${chunk}`);
  return chunk === 0 ? legacy : `${legacy}Chunk${chunk}`;
}

/**
 * The statement that lets the collector role read a stream: exactly DescribeStream, GetRecords and
 * GetShardIterator, to the collector role and nobody else.
 *
 * It has the form of AWS's own example of a stream policy (principal, the three actions, the
 * stream as Resource; https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-examples.html),
 * and needs no Condition:
 * - the principal is one IAM role of the audit account, which Lambda's event source mapping uses
 *   to read the stream; no AWS service principal is named, so there is no confused deputy to guard
 *   against. aws:SourceAccount and aws:SourceArn would even deny: they are "included in the request
 *   context only when a call to your resource is made directly by an AWS service principal"
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount),
 *   and here the caller is the role;
 * - cross-account access needs both this resource-based grant and the role's own identity-based
 *   grant (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-cross-account-access.html),
 *   which the mappings stack gives on exactly the onboarded stream ARNs;
 * - dynamodb:ListStreams is not a stream action and DynamoDB refuses it in a stream policy.
 *
 * @param collectorRole the collector role ARN (see collectorRoleArn)
 * @param streamArn the stream ARN; `*` (the default) means "the stream this policy is attached to",
 *   which is what a TableV2 `streamResourcePolicy` needs since the stream ARN is unknown before deploy.
 * @param chunk the account's source stack that holds the source (its Sid: collectorStreamSid)
 */
export function collectorStreamStatement(collectorRole: string, streamArn = '*', watchRole?: string, chunk = 0): StreamPolicyStatement {
  // With the stream watch, its role is a second principal of this one statement (one custom resource
  // per stream, not two): cross-account access needs the identity policy too, and the watch role's
  // allows DescribeStream only, so it cannot GetRecords through this statement.
  const principal = watchRole === undefined ? collectorRole : [collectorRole, watchRole];
  return { Sid: collectorStreamSid(chunk), Effect: 'Allow', Principal: { AWS: principal }, Action: [...STREAM_READ_ACTIONS], Resource: streamArn };
}

// ---------------------------------------------------------------------------------------------
// The stream-lifecycle watch (lambda/watch/, lib/constructs/stream-watch.ts, docs/coverage.md)
// ---------------------------------------------------------------------------------------------

/** Prefix of the watch's execution role name. */
export const WATCH_ROLE_NAME_PREFIX = 'ddb-audit-watch';

/** The watch role's name: fixed, like the collector's, because source accounts' policies name it before it exists. */
export function watchRoleName(region: string): string {
  return `${WATCH_ROLE_NAME_PREFIX}-${region}`;
}

/** The watch role's ARN, known before the role exists. */
export function watchRoleArn(location: CollectorLocation): string {
  return `arn:${location.partition ?? 'aws'}:iam::${location.auditAccountId}:role/${watchRoleName(location.region)}`;
}

/** The only action the watch needs on a table's resource policy. */
export const TABLE_DESCRIBE_ACTIONS = ['dynamodb:DescribeTable'] as const;

/** The Sid of our statement in a table's resource policy, as source stack 0 writes it (the provider recognises its own statement by it). */
export const WATCH_TABLE_SID = 'DdbAuditWatchDescribesTable';

/** The table statement's Sid in source stack `chunk`: per chunk, for the reason collectorStreamSid gives. */
export function watchTableSid(chunk: number): string {
  return chunkedSid(WATCH_TABLE_SID, chunk);
}

export type TablePolicyStatement = StreamPolicyStatement;

/**
 * The statement that lets the watch role read a table's stream settings (LatestStreamArn,
 * StreamSpecification): dynamodb:DescribeTable, to the watch role only, on the table the policy is
 * attached to. A table's resource policy covers the table and its indexes, not its streams
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-examples.html), and
 * cross-account access needs this grant and the watch role's own identity policy
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-cross-account-access.html).
 *
 * @param tableArn the table ARN; `*` (the default) means "the table this policy is attached to" (TableV2 `resourcePolicy`).
 * @param chunk the account's source stack that holds the source (its Sid: watchTableSid)
 */
export function watchTableStatement(watchRole: string, tableArn = '*', chunk = 0): TablePolicyStatement {
  return { Sid: watchTableSid(chunk), Effect: 'Allow', Principal: { AWS: watchRole }, Action: [...TABLE_DESCRIBE_ACTIONS], Resource: tableArn };
}

/**
 * A stream policy holding only our statement (collectorStreamStatement), for a stream that has
 * no policy of its own, e.g. a TableV2 `streamResourcePolicy` in the source team's CDK app.
 *
 * With aws-cdk-lib: `iam.PolicyDocument.fromJson(streamResourcePolicy(collectorRoleArn(...)))`.
 * A stream that already has a policy keeps it: the source stack merges our statement in (by Sid);
 * by hand, add the statement to the existing document rather than replacing it.
 */
export function streamResourcePolicy(collectorRole: string, streamArn = '*', watchRole?: string, chunk = 0): StreamPolicyDocument {
  return { Version: '2012-10-17', Statement: [collectorStreamStatement(collectorRole, streamArn, watchRole, chunk)] };
}

/** A table policy holding only the watch's statement (watchTableStatement), e.g. a TableV2 `resourcePolicy`. */
export function watchTableResourcePolicy(watchRole: string, tableArn = '*', chunk = 0): StreamPolicyDocument {
  return { Version: '2012-10-17', Statement: [watchTableStatement(watchRole, tableArn, chunk)] };
}

/**
 * The key-policy statement a source account adds to its table's customer managed KMS key, so the
 * collector can decrypt stream records. Key policies replace as a whole, so we never write them.
 */
export function sourceKeyPolicyStatement(collectorRole: string): Record<string, unknown> {
  // The same actions the collector role's own policy has (DdbAuditMappings), with no kms:ViaService
  // condition, whose value for stream reads we could not verify (a wrong one stops collection).
  return {
    Sid: 'DdbAuditCollectorDecryptsStream',
    Effect: 'Allow',
    Principal: { AWS: collectorRole },
    Action: ['kms:Decrypt', 'kms:DescribeKey'],
    Resource: '*',
  };
}
