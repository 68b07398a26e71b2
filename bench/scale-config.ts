/**
 * An organization-sized audit config for `npm run scale` and the scale tests: N accounts x M tables,
 * - table names shared across accounts (every account has "orders-0", ...), so names alone never
 *   identify a source;
 * - every 7th source with a customer managed key (one key per account), every 3rd with redaction
 *   and an actor attribute, so the per-source options file and the KMS grants are exercised.
 */
import type { AuditConfig } from '../schemas/audit-config';
import { validateAuditConfig } from '../lib/config/validate';

export const AUDIT_ACCOUNT_ID = '100000000000';
export const REGION = 'eu-west-1';

/** A config of `accounts` x `tablesPerAccount` sources, as described in this file's header; `extra` is merged in (e.g. delivery). */
export function generateScaleConfig(accounts: number, tablesPerAccount: number, extra: Record<string, unknown> = {}): AuditConfig {
  const sources: Record<string, unknown>[] = [];
  for (let a = 0; a < accounts; a++) {
    const accountId = String(200000000000 + a);
    for (let t = 0; t < tablesPerAccount; t++) {
      const n = a * tablesPerAccount + t;
      const source: Record<string, unknown> = { streamArn: `arn:aws:dynamodb:${REGION}:${accountId}:table/orders-${t}/stream/2026-01-15T10:00:00.000` };
      if (n % 3 === 0) {
        source.actorAttribute = 'updatedBy';
        source.redact = ['payment.cardNumber', 'customer.ssn'];
      }
      if (n % 7 === 0) source.kmsKeyArn = `arn:aws:kms:${REGION}:${accountId}:key/1234abcd-12ab-34cd-56ef-${String(a).padStart(12, '0')}`;
      sources.push(source);
    }
  }
  return validateAuditConfig({
    auditAccountId: AUDIT_ACCOUNT_ID,
    region: REGION,
    retention: { mode: 'GOVERNANCE', days: 365 },
    alarmEmail: 'security-alerts@example.com',
    sources,
    ...extra,
  });
}

