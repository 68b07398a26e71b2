/**
 * The stream/table policy provider (lambda/handlers/resource-policy.ts) against DynamoDB's
 * resource-policy API. No local DynamoDB peer implements GetResourcePolicy/PutResourcePolicy/
 * DeleteResourcePolicy with revisions, so DynamoDB is mocked with aws-sdk-client-mock: the real
 * SDK client builds and sends each command, and a small fake below answers with the behaviour the
 * API reference documents (PolicyNotFoundException for no policy or a revision mismatch, NO_POLICY
 * for "must not exist yet", the same revision for the same document). Errors the reference does
 * not spell out (the 15-second block) are injected as our assumption of them, and said so.
 *
 * The clock is fake: `sleep` advances it, so retry deadlines are exercised without waiting.
 */
import { createServer, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteResourcePolicyCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetResourcePolicyCommand,
  PolicyNotFoundException,
  PutResourcePolicyCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createHandler } from '../../lambda/handlers/resource-policy';
import { CONFIRM_ABSENCE_MS } from '../../lambda/resource-policy/apply-statement';
import { sendResponse } from '../../lambda/resource-policy/cfn-response';
import { RESOURCE_POLICY_STATEMENT_TYPE, RESPONSE_MARGIN_MS, RETRY_BUDGET_MS } from '../../lambda/resource-policy/contract';
import type { CustomResourceResponse } from '../../lambda/resource-policy/custom-resource';
import { AllowedStatement, parseAllowedStatements } from '../../lambda/resource-policy/statement-bounds';
import { collectorStreamGrant, legacyRemovals } from '../../lib/constructs/stream-resource-policy';
import { COLLECTOR_STREAM_SID, collectorStreamStatement } from '../../lib/stream-policy';

const STREAM = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000';
const NEW_STREAM = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-06-01T00:00:00.000';
const ROLE = 'arn:aws:iam::111111111111:role/ddb-audit-collector-eu-west-1';
const OURS = collectorStreamStatement(ROLE, STREAM);
const TEAM = { Sid: 'TeamReplicator', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222222222222:role/replicator' }, Action: ['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream'], Resource: STREAM, Condition: { Bool: { 'aws:SecureTransport': 'true' } } };
const OTHER_TEAM = { Sid: 'SearchIndexer', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::333333333333:role/indexer' }, Action: 'dynamodb:GetRecords', Resource: STREAM };

const ddbMock = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

const validation = (message: string) => new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', message, $metadata: { httpStatusCode: 400 } });
const invalidPrincipal = () => validation('One or more parameter values were invalid: Invalid principal in policy document.');
// AWS documents the 15-second block but not its error; ResourceInUseException is the API reference's
// "You tried to update a resource that was already being updated" (lambda/resource-policy/retry.ts).
const blocked = () => new ResourceInUseException({ message: 'Attempt to change a resource which is still in use: policy update in progress', $metadata: {} });
const policyNotFound = (message = 'Resource-based policy not found for the provided ResourceArn.') => new PolicyNotFoundException({ message, $metadata: {} });

/** DynamoDB's documented resource-policy behaviour for the resources of one test. */
class FakePolicies {
  readonly policies = new Map<string, { text: string; revision: string }>();
  readonly missing = new Set<string>();
  /** Errors the next writes (Put or Delete) throw, in order, before the fake looks at anything. */
  readonly writeFaults: Error[] = [];
  /** How many of the next reads answer "no policy" although there is one (eventually consistent reads). */
  staleReads = 0;
  /** Runs before a write is judged: a concurrent writer. */
  beforeWrite?: (arn: string) => void;
  private revisions = 0;

  set(arn: string, document: unknown): void {
    this.policies.set(arn, { text: JSON.stringify(document), revision: `rev-${++this.revisions}` });
  }

  document(arn: string): any {
    const p = this.policies.get(arn);
    return p && JSON.parse(p.text);
  }

  install(): void {
    ddbMock.on(GetResourcePolicyCommand).callsFake(({ ResourceArn }) => {
      if (this.missing.has(ResourceArn)) throw new ResourceNotFoundException({ message: `Requested resource not found: ${ResourceArn}`, $metadata: {} });
      const p = this.policies.get(ResourceArn);
      if (this.staleReads > 0) {
        this.staleReads--;
        throw policyNotFound();
      }
      if (!p) throw policyNotFound();
      return { Policy: p.text, RevisionId: p.revision };
    });
    ddbMock.on(PutResourcePolicyCommand).callsFake(({ ResourceArn, Policy, ExpectedRevisionId }) => {
      this.judgeWrite(ResourceArn, ExpectedRevisionId);
      const p = this.policies.get(ResourceArn);
      if (p && p.text === Policy) return { RevisionId: p.revision };
      this.policies.set(ResourceArn, { text: Policy, revision: `rev-${++this.revisions}` });
      return { RevisionId: `rev-${this.revisions}` };
    });
    ddbMock.on(DeleteResourcePolicyCommand).callsFake(({ ResourceArn, ExpectedRevisionId }) => {
      this.judgeWrite(ResourceArn, ExpectedRevisionId);
      this.policies.delete(ResourceArn);
      return {};
    });
  }

  private judgeWrite(arn: string, expected: string | undefined): void {
    const fault = this.writeFaults.shift();
    if (fault) throw fault;
    this.beforeWrite?.(arn);
    if (this.missing.has(arn)) throw new ResourceNotFoundException({ message: `Requested resource not found: ${arn}`, $metadata: {} });
    const current = this.policies.get(arn);
    if (expected === 'NO_POLICY' ? current !== undefined : expected !== undefined && current?.revision !== expected) {
      throw policyNotFound('The revision ID of the existing policy does not match the expected revision ID.');
    }
  }
}

let fake: FakePolicies;
let clock: number;
let sleeps: number[];
let sent: { url: string; response: CustomResourceResponse }[];

beforeEach(() => {
  ddbMock.reset();
  fake = new FakePolicies();
  fake.install();
  clock = 1_700_000_000_000;
  allowed = [collectorStreamGrant(ROLE), { sid: 'DdbAuditWatchDescribesTable', principals: [WATCH_ROLE], actions: ['dynamodb:DescribeTable'] }];
  sleeps = [];
  sent = [];
});

const TABLE = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders';
const WATCH_ROLE = 'arn:aws:iam::111111111111:role/ddb-audit-watch';
/** What the provider may write: the collector's stream statement (as deployed) and, for the table test, a watch statement. */
let allowed: AllowedStatement[] = [];

const handler = createHandler({
  dynamodb: client,
  allowed: () => allowed,
  now: () => clock,
  sleep: async (ms) => {
    sleeps.push(ms);
    clock += ms;
  },
  random: () => 0.5,
  send: async (url, response) => {
    sent.push({ url, response });
  },
});

/** A Lambda context with the provider's whole timeout left. */
const context = { getRemainingTimeInMillis: () => RETRY_BUDGET_MS + RESPONSE_MARGIN_MS + 30_000 };

const common = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:222222222222:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/presigned',
  StackId: 'arn:aws:cloudformation:eu-west-1:222222222222:stack/DdbAuditSource-222222222222/1',
  RequestId: 'req-1',
  LogicalResourceId: 'StreamPolicyOrdersStatementD7E2D6E0',
  ResourceType: RESOURCE_POLICY_STATEMENT_TYPE,
};
const props = (arn: string, statement: object = collectorStreamStatement(ROLE, arn)) => ({ ServiceToken: common.ServiceToken, ResourceArn: arn, Statement: JSON.stringify(statement) });
const create = (arn = STREAM): CloudFormationCustomResourceEvent => ({ ...common, RequestType: 'Create', ResourceProperties: props(arn) });
const update = (arn: string, oldArn: string): CloudFormationCustomResourceEvent => ({ ...common, RequestType: 'Update', PhysicalResourceId: `${COLLECTOR_STREAM_SID}@${oldArn}`, ResourceProperties: props(arn), OldResourceProperties: props(oldArn) });
const remove = (physicalId = `${COLLECTOR_STREAM_SID}@${STREAM}`): CloudFormationCustomResourceEvent => ({ ...common, RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: props(STREAM) });

const puts = () => ddbMock.commandCalls(PutResourcePolicyCommand).map((c) => c.args[0].input);
const deletes = () => ddbMock.commandCalls(DeleteResourcePolicyCommand).map((c) => c.args[0].input);

describe('create and update: merge our statement in', () => {
  test('first write to a stream without a policy says the policy must not exist yet (NO_POLICY)', async () => {
    const response = await handler(create(), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${COLLECTOR_STREAM_SID}@${STREAM}`, Data: { Outcome: 'written' } });
    expect(puts()).toEqual([{ ResourceArn: STREAM, ExpectedRevisionId: 'NO_POLICY', Policy: JSON.stringify({ Version: '2012-10-17', Statement: [OURS] }) }]);
    expect(sent).toEqual([{ url: common.ResponseURL, response }]);
  });

  test("keeps a team's own statements exactly, and writes against the revision it read", async () => {
    fake.set(STREAM, { Version: '2012-10-17', Id: 'team-policy', Statement: [TEAM] });
    const response = await handler(create(), context);
    expect(response.Status).toBe('SUCCESS');
    expect(puts()).toEqual([expect.objectContaining({ ExpectedRevisionId: 'rev-1' })]);
    expect(fake.document(STREAM)).toEqual({ Version: '2012-10-17', Id: 'team-policy', Statement: [TEAM, OURS] });
  });

  test('writes nothing when our statement is already there as it should be', async () => {
    fake.set(STREAM, { Statement: [TEAM, OURS], Version: '2012-10-17' });
    const response = await handler(create(), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'unchanged', RevisionId: 'rev-1' } });
    expect(puts()).toEqual([]);
  });

  test('on a revision conflict, reads again and keeps the statement the other writer just added', async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM] });
    let raced = false;
    fake.beforeWrite = (arn) => {
      if (raced) return;
      raced = true;
      fake.set(arn, { Version: '2012-10-17', Statement: [TEAM, OTHER_TEAM] });
    };
    const response = await handler(create(), context);
    expect(response.Status).toBe('SUCCESS');
    expect(puts().map((p) => p.ExpectedRevisionId)).toEqual(['rev-1', 'rev-2']);
    expect(fake.document(STREAM).Statement).toEqual([TEAM, OTHER_TEAM, OURS]);
  });

  test('waits out "Invalid principal" while IAM propagates the collector role, then succeeds', async () => {
    fake.writeFaults.push(invalidPrincipal(), invalidPrincipal(), invalidPrincipal());
    const response = await handler(create(), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'written' } });
    expect(puts()).toHaveLength(4);
    // Capped exponential backoff with jitter (random() = 0.5 here: three quarters of each step).
    expect(sleeps).toEqual([750, 1500, 3000]);
    expect(fake.document(STREAM).Statement).toEqual([OURS]);
  });

  test("waits out DynamoDB's 15-second block on a second policy change, then succeeds", async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM] });
    const start = clock;
    fake.writeFaults.push(blocked(), blocked(), blocked(), blocked(), blocked());
    const response = await handler(create(), context);
    expect(response.Status).toBe('SUCCESS');
    expect(clock - start).toBeGreaterThan(15_000);
    expect(fake.document(STREAM).Statement).toEqual([TEAM, OURS]);
  });

  test('fails after the retry budget with one line naming the stream ARN and the last error', async () => {
    const start = clock;
    fake.writeFaults.push(...Array.from({ length: 1000 }, invalidPrincipal));
    const response = await handler(create(), context);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(
      new RegExp(`^could not add statement ${COLLECTOR_STREAM_SID} to the resource policy of ${escape(STREAM)} after \\d+ tries, until the retry deadline: ValidationException: One or more parameter values were invalid: Invalid principal in policy document\\.$`),
    );
    expect(response.Reason).not.toContain('\n');
    expect(clock - start).toBeLessThanOrEqual(RETRY_BUDGET_MS);
    expect(clock - start).toBeGreaterThan(RETRY_BUDGET_MS - 20_000);
    // A failed Create keeps the id of what it tried, so the rollback's Delete cleans up any try that landed.
    expect(response.PhysicalResourceId).toBe(`${COLLECTOR_STREAM_SID}@${STREAM}`);
    expect(sent).toHaveLength(1);
  });

  test('stops retrying early enough to answer before the function times out', async () => {
    fake.writeFaults.push(...Array.from({ length: 1000 }, blocked));
    const start = clock;
    const response = await handler(create(), { getRemainingTimeInMillis: () => 90_000 });
    expect(response.Status).toBe('FAILED');
    expect(clock - start).toBeLessThanOrEqual(90_000 - RESPONSE_MARGIN_MS);
  });

  test('fails at once, without retrying, on an error that waiting does not cure', async () => {
    fake.writeFaults.push(validation('Invalid policy document: The following action names are invalid: "dynamodb:ListStreams"'));
    const response = await handler(create(), context);
    expect(response).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining(`${STREAM}: ValidationException: Invalid policy document`) });
    expect(sleeps).toEqual([]);
    expect(puts()).toHaveLength(1);
  });

  test('fails with the ARN when the stream does not exist', async () => {
    fake.missing.add(STREAM);
    const response = await handler(create(), context);
    expect(response).toMatchObject({ Status: 'FAILED', Reason: `${STREAM} does not exist (ResourceNotFoundException): check the ARN, and that the table's stream is enabled` });
    expect(puts()).toEqual([]);
  });

  test('refuses unusable properties in one line, without calling DynamoDB', async () => {
    const bad: CloudFormationCustomResourceEvent = { ...common, RequestType: 'Create', ResourceProperties: { ServiceToken: common.ServiceToken, ResourceArn: 'arn:aws:s3:::bucket', Statement: '{}' } };
    const response = await handler(bad, context);
    expect(response).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^property ResourceArn must be a DynamoDB table or stream ARN .*got "arn:aws:s3:::bucket"$/) });
    expect(ddbMock.calls()).toHaveLength(0);
    // The rollback's Delete of that resource finds nothing of ours to remove, and succeeds.
    const rollback = await handler(remove(response.PhysicalResourceId), context);
    expect(rollback.Status).toBe('SUCCESS');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  test('an update to a new stream ARN adds to the new stream under a new id; the old one is left for CloudFormation\'s Delete', async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM, OURS] });
    const response = await handler(update(NEW_STREAM, STREAM), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${COLLECTOR_STREAM_SID}@${NEW_STREAM}` });
    expect(fake.document(NEW_STREAM).Statement).toEqual([collectorStreamStatement(ROLE, NEW_STREAM)]);
    expect(fake.document(STREAM).Statement).toEqual([TEAM, OURS]);
    // After the stack update succeeds, CloudFormation deletes the replaced id: only ours goes.
    const cleanup = await handler(remove(`${COLLECTOR_STREAM_SID}@${STREAM}`), context);
    expect(cleanup.Status).toBe('SUCCESS');
    expect(fake.document(STREAM).Statement).toEqual([TEAM]);
    expect(fake.document(NEW_STREAM).Statement).toEqual([collectorStreamStatement(ROLE, NEW_STREAM)]);
  });

  test('an update of the statement on the same stream keeps the physical id and replaces the statement in place', async () => {
    const older = { ...OURS, Action: ['dynamodb:GetRecords'] };
    fake.set(STREAM, { Version: '2012-10-17', Statement: [older, TEAM] });
    const response = await handler(update(STREAM, STREAM), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${COLLECTOR_STREAM_SID}@${STREAM}` });
    expect(fake.document(STREAM).Statement).toEqual([OURS, TEAM]);
  });
});

describe('delete: remove only our statement', () => {
  test("keeps the team's statements and writes against the revision it read", async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM, OURS, OTHER_TEAM] });
    const response = await handler(remove(), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'written' } });
    expect(puts()).toEqual([expect.objectContaining({ ResourceArn: STREAM, ExpectedRevisionId: 'rev-1' })]);
    expect(deletes()).toEqual([]);
    expect(fake.document(STREAM).Statement).toEqual([TEAM, OTHER_TEAM]);
  });

  test('deletes the policy, conditionally, when ours was its only statement', async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [OURS] });
    const response = await handler(remove(), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'deleted-policy' } });
    expect(deletes()).toEqual([{ ResourceArn: STREAM, ExpectedRevisionId: 'rev-1' }]);
    expect(fake.policies.has(STREAM)).toBe(false);
  });

  test('a team statement added between our read and our delete survives (conflict, read again)', async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [OURS] });
    let raced = false;
    fake.beforeWrite = (arn) => {
      if (raced) return;
      raced = true;
      fake.set(arn, { Version: '2012-10-17', Statement: [OURS, TEAM] });
    };
    const response = await handler(remove(), context);
    expect(response.Status).toBe('SUCCESS');
    expect(fake.document(STREAM).Statement).toEqual([TEAM]);
  });

  test('succeeds, writing nothing, when the policy is already gone', async () => {
    const response = await handler(remove(), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'already-gone' } });
    expect(puts()).toEqual([]);
    expect(deletes()).toEqual([]);
  });

  test('reads twice, a few seconds apart, before calling a policy gone (reads right after a write may not see it)', async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM, OURS] });
    fake.staleReads = 1;
    const response = await handler(remove(), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'written' } });
    expect(sleeps).toEqual([CONFIRM_ABSENCE_MS]);
    expect(fake.document(STREAM).Statement).toEqual([TEAM]);
  });

  test('succeeds when the stream itself is gone (disabled long ago, table deleted)', async () => {
    fake.missing.add(STREAM);
    const response = await handler(remove(), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'already-gone' } });
  });

  test('succeeds when the stream disappears between our read and our write', async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM, OURS] });
    fake.beforeWrite = (arn) => fake.missing.add(arn);
    const response = await handler(remove(), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'already-gone' } });
  });

  test('succeeds, writing nothing, when our statement is no longer there', async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM] });
    const response = await handler(remove(), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'unchanged' } });
    expect(puts()).toEqual([]);
  });

  test('reads the resource and Sid from the physical id, not from the (possibly newer) properties', async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM, OURS] });
    fake.set(NEW_STREAM, { Version: '2012-10-17', Statement: [collectorStreamStatement(ROLE, NEW_STREAM)] });
    const event: CloudFormationCustomResourceEvent = { ...remove(`${COLLECTOR_STREAM_SID}@${STREAM}`), ResourceProperties: props(NEW_STREAM) };
    await handler(event, context);
    expect(fake.document(STREAM).Statement).toEqual([TEAM]);
    expect(fake.document(NEW_STREAM).Statement).toEqual([collectorStreamStatement(ROLE, NEW_STREAM)]);
  });

  test('waits out the 15-second block on delete too, then succeeds', async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM, OURS] });
    fake.writeFaults.push(blocked(), blocked());
    const response = await handler(remove(), context);
    expect(response.Status).toBe('SUCCESS');
    expect(sleeps).toHaveLength(2);
    expect(fake.document(STREAM).Statement).toEqual([TEAM]);
  });
});

describe('works for a table policy too (one more statement, no new code)', () => {
  test('merges a DescribeTable statement into a table policy and removes it again', async () => {
    const table = TABLE;
    const watch = { Sid: 'DdbAuditWatchDescribesTable', Effect: 'Allow', Principal: { AWS: WATCH_ROLE }, Action: 'dynamodb:DescribeTable', Resource: table };
    const teamTable = { Sid: 'TeamReads', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222222222222:role/app' }, Action: 'dynamodb:GetItem', Resource: table };
    fake.set(table, { Version: '2012-10-17', Statement: [teamTable] });
    const created = await handler({ ...common, RequestType: 'Create', ResourceProperties: { ServiceToken: common.ServiceToken, ResourceArn: table, Statement: JSON.stringify(watch) } }, context);
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `DdbAuditWatchDescribesTable@${table}` });
    expect(fake.document(table).Statement).toEqual([teamTable, watch]);
    await handler(remove(created.PhysicalResourceId), context);
    expect(fake.document(table).Statement).toEqual([teamTable]);
  });
});

describe('an invocation that is not our deployed statement (the function is invocable by anyone with lambda:InvokeFunction)', () => {
  const crafted = (statement: object): CloudFormationCustomResourceEvent => ({ ...common, RequestType: 'Create', ResourceProperties: { ServiceToken: common.ServiceToken, ResourceArn: STREAM, Statement: JSON.stringify(statement) } });

  test.each([
    ['another principal', { ...OURS, Principal: { AWS: 'arn:aws:iam::999999999999:root' } }, /principal "arn:aws:iam::999999999999:root" is not one of/],
    ['anyone', { ...OURS, Principal: '*' }, /Principal must be \{"AWS": \.\.\.\}, got "\*"/],
    ['a wider action', { ...OURS, Action: ['dynamodb:GetRecords', 'dynamodb:*'] }, /action "dynamodb:\*" is not one of/],
    ['another resource', { ...OURS, Resource: NEW_STREAM }, /Resource must be .* got/],
    ['a Deny', { ...OURS, Effect: 'Deny' }, /Effect must be "Allow", got "Deny"/],
    ['NotPrincipal', { ...OURS, NotPrincipal: { AWS: ROLE } }, /it has NotPrincipal/],
    ["a team's Sid", { ...TEAM, Principal: { AWS: ROLE }, Condition: undefined }, /Sid TeamReplicator is not one of DdbAuditCollectorReadsStream, DdbAuditWatchDescribesTable/],
  ])('refuses a statement with %s, in one line, without calling DynamoDB', async (_what, statement, message) => {
    const response = await handler(crafted(statement), context);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(message);
    expect(response.Reason).toMatch(/^statement \w+ is outside what this provider may write: /);
    expect(ddbMock.calls()).toHaveLength(0);
  });

  test("a Delete naming a team's Sid leaves that statement alone", async () => {
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM, OURS] });
    const response = await handler(remove(`TeamReplicator@${STREAM}`), context);
    expect(response).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'not-allowed' } });
    expect(fake.document(STREAM).Statement).toEqual([TEAM, OURS]);
    expect(puts()).toEqual([]);
  });

  test("a chunk k > 0 provider removes the legacy Sid (remove only) from a replaced resource, but another chunk's Sid stays, and it may not write the legacy Sid", async () => {
    // Prepare: source stack 1's bounds (lib/source-account-stack.ts); the stream holds chunk 0's and chunk 2's statements.
    allowed = [collectorStreamGrant(ROLE, undefined, 1), ...legacyRemovals(1, false)];
    const chunk2 = collectorStreamStatement(ROLE, STREAM, undefined, 2);
    fake.set(STREAM, { Version: '2012-10-17', Statement: [TEAM, OURS, chunk2] });

    // Act + Assess: the legacy statement (what this stack wrote before per-chunk Sids) is removed.
    expect(await handler(remove(`${COLLECTOR_STREAM_SID}@${STREAM}`), context)).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'written' } });
    expect(fake.document(STREAM).Statement).toEqual([TEAM, chunk2]);
    // Another chunk's Sid is outside this provider's bounds: left in place.
    expect(await handler(remove(`DdbAuditCollectorReadsStreamChunk2@${STREAM}`), context)).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'not-allowed' } });
    expect(fake.document(STREAM).Statement).toEqual([TEAM, chunk2]);
    // Writing the legacy Sid is refused: only chunk 0 writes it.
    const refused = await handler(create(), context);
    expect(refused).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('Sid DdbAuditCollectorReadsStream is not one of DdbAuditCollectorReadsStreamChunk1 (it may only be removed)') });
  });

  test('a missing or broken ALLOWED_STATEMENTS fails the request with its name, and the response still goes out', async () => {
    const broken = createHandler({ dynamodb: client, allowed: () => parseAllowedStatements(undefined), send: async (url, r) => void sent.push({ url, response: r }) });
    const response = await broken(create(), context);
    expect(response).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^environment variable ALLOWED_STATEMENTS must be/) });
    expect(sent).toHaveLength(1);
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('the response to CloudFormation', () => {
  test('is PUT to the presigned URL as JSON with an empty Content-Type', async () => {
    const received: { method?: string; type?: string; body: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ method: req.method, type: req.headers['content-type'], body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/presigned?X-Amz-Signature=abc`;
      const response: CustomResourceResponse = { Status: 'SUCCESS', PhysicalResourceId: `${COLLECTOR_STREAM_SID}@${STREAM}`, StackId: common.StackId, RequestId: 'r', LogicalResourceId: 'L' };
      await sendResponse(url, response);
      expect(received).toEqual([{ method: 'PUT', type: '', body: JSON.stringify(response) }]);
    } finally {
      server.close();
    }
  });

  test('retries an S3 error answer, then reports one line when it cannot deliver', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/presigned`;
      const response: CustomResourceResponse = { Status: 'FAILED', Reason: 'x', PhysicalResourceId: 'p', StackId: 's', RequestId: 'r', LogicalResourceId: 'L' };
      await expect(sendResponse(url, response, { sleep: async () => {} })).rejects.toThrow('could not send the response to CloudFormation after 3 tries: response URL answered HTTP 503');
      expect(hits).toBe(3);
    } finally {
      server.close();
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
