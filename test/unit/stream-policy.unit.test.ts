/** lib/stream-policy: the names and documents a source account relies on before the audit side exists. */
import fc from 'fast-check';
import { chunkIndexOf, chunksOf } from '../../lib/stack-chunks';
import { collectorRoleArn, collectorRoleName, sourceKeyPolicyStatement, streamResourcePolicy } from '../../lib/stream-policy';

test('the collector role name is fixed per region and its ARN is known in advance', () => {
  expect(collectorRoleName('eu-west-1')).toBe('ddb-audit-collector-eu-west-1');
  expect(collectorRoleArn({ auditAccountId: '011111111111', region: 'eu-west-1' })).toBe('arn:aws:iam::011111111111:role/ddb-audit-collector-eu-west-1');
  expect(collectorRoleArn({ auditAccountId: '011111111111', region: 'cn-north-1', partition: 'aws-cn' })).toBe('arn:aws-cn:iam::011111111111:role/ddb-audit-collector-cn-north-1');
});

test('the stream policy grants exactly the three read actions to the collector role only', () => {
  const role = 'arn:aws:iam::111111111111:role/ddb-audit-collector-eu-west-1';
  const stream = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000';
  expect(streamResourcePolicy(role, stream)).toEqual({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DdbAuditCollectorReadsStream',
        Effect: 'Allow',
        Principal: { AWS: role },
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        Resource: stream,
      },
    ],
  });
});

test('without a stream ARN the policy names "*", the stream it is attached to (TableV2 streamResourcePolicy)', () => {
  expect(streamResourcePolicy('arn:aws:iam::111111111111:role/r').Statement[0]!.Resource).toBe('*');
});

test('the key-policy statement lets the collector decrypt and describe the key, with no kms:ViaService guess', () => {
  expect(sourceKeyPolicyStatement('arn:aws:iam::111111111111:role/r')).toEqual({
    Sid: 'DdbAuditCollectorDecryptsStream',
    Effect: 'Allow',
    Principal: { AWS: 'arn:aws:iam::111111111111:role/r' },
    Action: ['kms:Decrypt', 'kms:DescribeKey'],
    Resource: '*',
  });
});

describe('chunkIndexOf (the stack the CLI names for a source)', () => {
  it('is the chunk chunksOf puts the item in, for any list and capacity', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 700 }), fc.integer({ min: 1, max: 400 }), (items, capacity) => {
        const chunks = chunksOf(items.map((_, i) => i), capacity);
        for (let i = 0; i < items.length; i++) expect(chunks[chunkIndexOf(i, capacity)]).toContain(i);
      }),
    );
    expect(() => chunkIndexOf(-1, 197)).toThrow('position must be a non-negative integer, got -1');
  });
});
