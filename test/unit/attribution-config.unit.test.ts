/** attribution.cloudTrail in the audit config: its shape and the values spliced into the Glue table's S3 location. */
import fc from 'fast-check';
import type { AuditConfig } from '../../schemas/audit-config';
import { findConfigProblems } from '../../lib/config/validate';

const ORDERS = 'arn:aws:dynamodb:eu-west-1:222222222222:table/Orders/stream/2026-01-15T10:00:00.000';

function config(cloudTrail: unknown): AuditConfig {
  return { auditAccountId: '111111111111', region: 'eu-west-1', retention: { mode: 'GOVERNANCE', days: 365 }, sources: [{ streamArn: ORDERS }], attribution: { cloudTrail } } as AuditConfig;
}

describe('attribution.cloudTrail', () => {
  test('accepts an account trail (bucket only) and an organization trail with a prefix', () => {
    expect(findConfigProblems(config({ bucket: 'aws-cloudtrail-logs-111111111111-3f2a' }))).toEqual([]);
    expect(findConfigProblems(config({ bucket: 'org-trail.example', prefix: 'security/trails', organizationId: 'o-a1b2c3d4e5' }))).toEqual([]);
  });

  test('needs the bucket and refuses unknown keys', () => {
    expect(findConfigProblems(config({}))).toEqual(['attribution.cloudTrail: missing required key "bucket"']);
    expect(findConfigProblems(config({ bucket: 'trail-bucket', kmsKey: 'x' }))).toEqual(['attribution.cloudTrail: unknown key "kmsKey"']);
  });

  test.each([
    [{ bucket: 'Trail_Bucket' }, 'attribution.cloudTrail.bucket: "Trail_Bucket" is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit)'],
    [{ bucket: 'ab' }, 'attribution.cloudTrail.bucket: "ab" is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit)'],
    [{ bucket: 'trail..bucket' }, 'attribution.cloudTrail.bucket: "trail..bucket" is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit)'],
    [{ bucket: 'trail', prefix: '/logs' }, 'attribution.cloudTrail.prefix: "/logs" is not a key prefix as a trail takes it (no slash at either end, no empty, . or .. segment; leave it out for none)'],
    [{ bucket: 'trail', prefix: 'logs/' }, 'attribution.cloudTrail.prefix: "logs/" is not a key prefix as a trail takes it (no slash at either end, no empty, . or .. segment; leave it out for none)'],
    [{ bucket: 'trail', prefix: 'a/../b' }, 'attribution.cloudTrail.prefix: "a/../b" is not a key prefix as a trail takes it (no slash at either end, no empty, . or .. segment; leave it out for none)'],
    [{ bucket: 'trail', prefix: "it's" }, 'attribution.cloudTrail.prefix: "it\'s" holds a character (* ? [ ] { } \\ \' ") that cannot be part of the table\'s S3 location'],
    [{ bucket: 'trail', organizationId: 'o-short' }, 'attribution.cloudTrail.organizationId: "o-short" is not an organization id (o- and 10 to 32 lower-case letters or digits)'],
    [{ bucket: 'trail', organizationId: 'r-a1b2c3d4e5' }, 'attribution.cloudTrail.organizationId: "r-a1b2c3d4e5" is not an organization id (o- and 10 to 32 lower-case letters or digits)'],
  ])('rejects %j with one line naming the key', (cloudTrail, message) => {
    expect(findConfigProblems(config(cloudTrail))).toEqual([message]);
  });

  test('rejects a control character in the prefix, printed escaped', () => {
    expect(findConfigProblems(config({ bucket: 'trail', prefix: 'logs\nx' }))).toEqual([
      'attribution.cloudTrail.prefix: "logs\\x0ax" contains a control character (newline, tab, escape, bidirectional override…); names must be printable text',
    ]);
  });

  test('every bucket name S3 allows passes, and any with an upper-case letter fails (property)', () => {
    const inner = fc.stringMatching(/^[a-z0-9-]{1,61}$/);
    const edge = fc.stringMatching(/^[a-z0-9]$/);
    fc.assert(
      fc.property(edge, inner, edge, (a, b, c) => {
        const bucket = `${a}${b}${c}`;
        expect(findConfigProblems(config({ bucket }))).toEqual([]);
        const upper = `${a.toUpperCase() === a ? 'X' : a.toUpperCase()}${b}${c}`;
        expect(findConfigProblems(config({ bucket: upper }))).toHaveLength(1);
      }),
    );
  });
});
