/**
 * lambda/resource-policy/policy-document and retry: merging our one statement into any resource
 * policy and taking it out again, and the retry schedule. Property-tested: whatever a team's policy
 * holds, their statements and top-level keys come through equal in meaning, and only our Sid is touched.
 */
import fc from 'fast-check';
import {
  MAX_POLICY_BYTES,
  parsePolicyDocument,
  PolicyDocument,
  PolicyStatement,
  removeStatement,
  sameJson,
  serializePolicy,
  statementsOf,
  upsertStatement,
} from '../../lambda/resource-policy/policy-document';
import { backoffDelayMs, DEFAULT_BACKOFF, nextWait, retryReason } from '../../lambda/resource-policy/retry';
import { parseAllowedStatements, statementOutsideBounds } from '../../lambda/resource-policy/statement-bounds';
import { collectorStreamGrant } from '../../lib/constructs/stream-resource-policy';
import { COLLECTOR_STREAM_SID, collectorStreamStatement, STREAM_READ_ACTIONS } from '../../lib/stream-policy';

const STREAM = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000';
const OURS = collectorStreamStatement('arn:aws:iam::111111111111:role/ddb-audit-collector-eu-west-1', STREAM);

// Keys JSON.parse would turn into prototype trouble are not what policies hold; keep them out.
const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__' && k !== 'Sid' && k !== 'Statement');
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

/** Sids a team might use: none, any of letters and digits, and near misses of ours. */
const foreignSid = fc.oneof(
  fc.constant(undefined),
  fc.stringMatching(/^[A-Za-z0-9]{1,24}$/).filter((s) => s !== COLLECTOR_STREAM_SID),
  fc.constantFrom(COLLECTOR_STREAM_SID.toLowerCase(), `${COLLECTOR_STREAM_SID}2`, COLLECTOR_STREAM_SID.slice(1), `x${COLLECTOR_STREAM_SID}`),
);

const foreignStatement: fc.Arbitrary<PolicyStatement> = fc
  .record({
    sid: foreignSid,
    Effect: fc.constantFrom('Allow', 'Deny'),
    Principal: fc.oneof(fc.constant('*'), fc.record({ AWS: fc.constantFrom('arn:aws:iam::444444444444:role/team', 'arn:aws:iam::555555555555:root') })),
    Action: fc.oneof(fc.constantFrom('dynamodb:GetRecords', 'dynamodb:*'), fc.array(fc.constantFrom('dynamodb:DescribeStream', 'dynamodb:GetShardIterator'), { maxLength: 3 })),
    Resource: fc.constantFrom(STREAM, '*'),
    extra: fc.dictionary(key, json, { maxKeys: 3 }),
  })
  .map(({ sid, extra, ...rest }) => ({ ...extra, ...rest, ...(sid === undefined ? {} : { Sid: sid }) }));

/** A team's policy: Version, sometimes Id and other keys, Statement as a list or (IAM allows it) one object. */
const foreignPolicy: fc.Arbitrary<PolicyDocument> = fc
  .record({
    Version: fc.constantFrom('2012-10-17', '2008-10-17'),
    id: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    statements: fc.array(foreignStatement, { minLength: 1, maxLength: 6 }),
    single: fc.boolean(),
  })
  .map(({ Version, id, statements, single }) => ({
    Version,
    ...(id === undefined ? {} : { Id: id }),
    Statement: single && statements.length === 1 ? statements[0]! : statements,
  }));

/** The team's policy as DynamoDB would hand it back: a JSON string, keys in any order. */
const asReturned = (policy: PolicyDocument) => parsePolicyDocument(JSON.stringify(policy), STREAM);

const withoutStatement = ({ Statement: _s, ...rest }: PolicyDocument) => rest;

describe('upsertStatement', () => {
  test('a resource without a policy gets a policy of our statement alone', () => {
    expect(upsertStatement(undefined, OURS)).toEqual({ Version: '2012-10-17', Statement: [OURS] });
  });

  test("keeps every other statement, in order and equal in meaning, and the document's other keys", () => {
    fc.assert(
      fc.property(foreignPolicy, (policy) => {
        const merged = upsertStatement(asReturned(policy), OURS);
        const others = statementsOf(merged).filter((s) => s.Sid !== COLLECTOR_STREAM_SID);
        expect(sameJson(others, statementsOf(policy))).toBe(true);
        expect(sameJson(withoutStatement(merged), withoutStatement(policy))).toBe(true);
        expect(statementsOf(merged).filter((s) => s.Sid === COLLECTOR_STREAM_SID)).toEqual([OURS]);
      }),
    );
  });

  test('adding twice is the same as adding once', () => {
    fc.assert(
      fc.property(foreignPolicy, (policy) => {
        const once = upsertStatement(asReturned(policy), OURS);
        const twice = upsertStatement(asReturned(once), OURS);
        expect(sameJson(twice, once)).toBe(true);
      }),
    );
  });

  test('replaces an earlier version of our statement in place, and drops duplicate copies of our Sid', () => {
    fc.assert(
      fc.property(foreignPolicy, fc.nat(6), (policy, at) => {
        const statements = [...statementsOf(policy)];
        const stale = { ...OURS, Action: ['dynamodb:GetRecords'] };
        const duplicate = { ...stale, Resource: '*' };
        statements.splice(Math.min(at, statements.length), 0, stale, duplicate);
        const merged = upsertStatement({ ...policy, Statement: statements }, OURS);
        const expected = statements.filter((s) => s !== duplicate).map((s) => (s === stale ? OURS : s));
        expect(statementsOf(merged)).toEqual(expected);
      }),
    );
  });

  test('refuses a statement without a usable Sid, naming what it got', () => {
    expect(() => upsertStatement(undefined, { ...OURS, Sid: 'has space' })).toThrow(/Sid must be 1 or more ASCII letters and digits .*got "has space"/);
    expect(() => upsertStatement(undefined, { Effect: 'Allow' })).toThrow(/got undefined/);
  });
});

describe('removeStatement', () => {
  test('remove after add gives back the original policy, in meaning', () => {
    fc.assert(
      fc.property(foreignPolicy, (policy) => {
        const restored = removeStatement(upsertStatement(asReturned(policy), OURS), COLLECTOR_STREAM_SID);
        expect(restored).toBeDefined();
        expect(sameJson(statementsOf(restored!), statementsOf(policy))).toBe(true);
        expect(sameJson(withoutStatement(restored!), withoutStatement(policy))).toBe(true);
      }),
    );
  });

  test('touches only our Sid: a policy without it comes back as the very same object', () => {
    fc.assert(
      fc.property(foreignPolicy, (policy) => {
        expect(removeStatement(policy, COLLECTOR_STREAM_SID)).toBe(policy);
      }),
    );
  });

  test('returns undefined when ours was the last statement (the policy is then deleted)', () => {
    expect(removeStatement(upsertStatement(undefined, OURS), COLLECTOR_STREAM_SID)).toBeUndefined();
    expect(removeStatement({ Version: '2012-10-17', Statement: OURS }, COLLECTOR_STREAM_SID)).toBeUndefined();
  });
});

describe('parse and serialize', () => {
  test('a serialized policy parses back to the same meaning', () => {
    fc.assert(
      fc.property(foreignPolicy, (policy) => {
        const merged = upsertStatement(policy, OURS);
        expect(sameJson(parsePolicyDocument(serializePolicy(merged, STREAM), STREAM), merged)).toBe(true);
      }),
    );
  });

  test('refuses a policy over DynamoDB\'s 20 KB limit, naming the resource and the size', () => {
    const big = { Version: '2012-10-17', Statement: [{ Sid: 'Team', Effect: 'Allow', Principal: '*', Action: 'dynamodb:GetRecords', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/x': 'y'.repeat(MAX_POLICY_BYTES) } } }] };
    expect(() => serializePolicy(upsertStatement(big, OURS), STREAM)).toThrow(new RegExp(`resource policy of ${STREAM.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} would be \\d+ bytes with our statement, over DynamoDB's 20480-byte limit`));
  });

  test.each([
    ['not JSON', '{', /is not valid JSON/],
    ['not an object', '[]', /is not a JSON object/],
    ['no Statement', '{"Version":"2012-10-17"}', /has no Statement list of objects/],
    ['a Statement of strings', '{"Statement":["x"]}', /has no Statement list of objects/],
  ])('refuses a policy that is %s, naming the resource', (_what, text, message) => {
    expect(() => parsePolicyDocument(text, STREAM)).toThrow(message);
    expect(() => parsePolicyDocument(text, STREAM)).toThrow(STREAM);
  });
});

describe('sameJson', () => {
  test('ignores object key order and nothing else', () => {
    fc.assert(
      fc.property(fc.dictionary(key, json, { minKeys: 1, maxKeys: 6 }), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(sameJson(reversed, object)).toBe(true);
        const [first] = Object.keys(object);
        expect(sameJson({ ...object, [first!]: { changed: [object[first!]] } }, object)).toBe(false);
      }),
    );
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
  });
});

describe('retry schedule', () => {
  test('each wait is between half and all of its exponential step, and never over the cap', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, random) => {
        const step = Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** attempt);
        const wait = backoffDelayMs(attempt, random);
        expect(wait).toBeGreaterThanOrEqual(Math.floor(step / 2));
        expect(wait).toBeLessThanOrEqual(step);
      }),
    );
    // The cap is a little over DynamoDB's 15-second block, so one wait can outlast it.
    expect(backoffDelayMs(10, 0.999)).toBeGreaterThan(15_000);
  });

  test('never waits past the deadline, and stops when it has passed', () => {
    fc.assert(
      fc.property(fc.nat(20), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: -60_000, max: 60_000 }), (attempt, random, left) => {
        const wait = nextWait(attempt, random, 1_000_000, 1_000_000 + left);
        if (left <= 0) expect(wait).toBeUndefined();
        else expect(wait).toBeLessThanOrEqual(left);
      }),
    );
  });

  test.each([
    [{ name: 'ValidationException', message: 'One or more parameter values were invalid: Invalid principal in policy document.' }, 'invalid-principal'],
    [{ name: 'ResourceInUseException', message: 'Attempt to change a resource which is still in use' }, 'policy-change-in-progress'],
    [{ name: 'LimitExceededException', message: 'Too many requests' }, 'policy-change-in-progress'],
    [{ name: 'ValidationException', message: 'Invalid policy document: The following action names are invalid: "dynamodb:ListStreams"' }, undefined],
    [{ name: 'AccessDeniedException', message: 'not authorized' }, undefined],
    [{ name: 'PolicyNotFoundException', message: 'revision mismatch' }, undefined],
  ])('classifies %j as %s', (error, expected) => {
    expect(retryReason(error)).toBe(expected);
  });
});

describe('statement bounds (what a provider may write, whoever invokes it)', () => {
  const ROLE = OURS.Principal.AWS as string; // one principal: OURS is built without the watch role
  const allowed = [collectorStreamGrant(ROLE)];
  const subsetOfActions = fc.subarray([...STREAM_READ_ACTIONS], { minLength: 1 }).map((a) => (a.length === 1 ? a[0]! : a));

  test('accepts our statement in any of its equivalent spellings, with any Condition', () => {
    fc.assert(
      fc.property(subsetOfActions, fc.constantFrom(STREAM, '*', [STREAM]), fc.constantFrom(ROLE, [ROLE]), fc.option(fc.dictionary(key, json, { maxKeys: 2 }), { nil: undefined }), (Action, Resource, AWS, Condition) => {
        const statement = { Sid: COLLECTOR_STREAM_SID, Effect: 'Allow', Principal: { AWS }, Action, Resource, ...(Condition ? { Condition } : {}) };
        expect(statementOutsideBounds(statement, COLLECTOR_STREAM_SID, STREAM, allowed)).toBeUndefined();
      }),
    );
  });

  test('refuses any statement that grants more: another principal, action or resource, a Deny, or a Not* element', () => {
    const widen = fc.oneof(
      fc.stringMatching(/^arn:aws:iam::\d{12}:(root|role\/[a-z]{1,8})$/).filter((p) => p !== ROLE).map((p) => ({ Principal: { AWS: [ROLE, p] } })),
      fc.constantFrom({ Principal: '*' }, { Principal: { AWS: '*' } }, { Principal: { Service: 'lambda.amazonaws.com' } }, { Principal: { AWS: ROLE, Service: 'lambda.amazonaws.com' } }),
      fc.constantFrom('dynamodb:*', 'dynamodb:GetItem', 'dynamodb:PutResourcePolicy', '*', 'dynamodb:Get*').map((a) => ({ Action: [...STREAM_READ_ACTIONS, a] })),
      fc.constantFrom('arn:aws:dynamodb:eu-west-1:222222222222:table/Orders', 'arn:aws:dynamodb:eu-west-1:222222222222:table/*', `${STREAM}x`).map((r) => ({ Resource: [STREAM, r] })),
      fc.constantFrom({ Effect: 'Deny' }, { NotPrincipal: { AWS: ROLE } }, { NotAction: 'dynamodb:GetItem' }, { NotResource: STREAM }, { Action: [] }),
    );
    fc.assert(
      fc.property(widen, (change) => {
        expect(statementOutsideBounds({ ...OURS, ...change }, COLLECTOR_STREAM_SID, STREAM, allowed)).toMatch(/^statement DdbAuditCollectorReadsStream is outside what this provider may write: /);
      }),
    );
  });

  test('reads its bounds from JSON, and refuses a setting it cannot use, naming the variable', () => {
    expect(parseAllowedStatements(JSON.stringify(allowed))).toEqual(allowed);
    // A chunk k > 0 stack's bounds: its own Sid, and the legacy Sid it may only remove.
    const chunked = [collectorStreamGrant('arn:aws:iam::111111111111:role/r', undefined, 1), { sid: COLLECTOR_STREAM_SID, principals: [], actions: [], removeOnly: true }];
    expect(parseAllowedStatements(JSON.stringify(chunked))).toEqual(chunked);
    expect(statementOutsideBounds(OURS, COLLECTOR_STREAM_SID, STREAM, chunked)).toMatch(/^statement DdbAuditCollectorReadsStream is outside what this provider may write: Sid DdbAuditCollectorReadsStream is not one of DdbAuditCollectorReadsStreamChunk1 \(it may only be removed\)$/);
    for (const bad of [undefined, '', '[]', '{}', '[{"sid":"A","principals":"x","actions":[]}]', '[{"sid":"A","principals":[],"actions":[],"removeOnly":"yes"}]']) {
      expect(() => parseAllowedStatements(bad)).toThrow(/^environment variable ALLOWED_STATEMENTS must be/);
    }
  });
});
