/**
 * An independent statement of change-attribution's join rule (docs/attribution.md), over the
 * CloudTrail records a test wrote and the workload's ledger: what each change's attribution,
 * reason, candidate count and matched event must be. Shared by the change-attribution and
 * actor-activity tests, so both queries are held to the same rule. The ledger holds stream changes
 * only: snapshot and gap rows (never candidates) are asserted where the tests add them.
 */
import type { CloudTrailRecord } from '../../local/cloudtrail/files';
import type { LedgerEntry } from '../../local/demo/workload';
import { ATTRIBUTION_WINDOW_SECONDS } from '../../schemas/cloudtrail-events';

/** A key's members as sorted [name, text] pairs: member order and number quoting do not matter. */
export const sortedKey = (key: unknown) => JSON.stringify(Object.entries(key as Record<string, unknown>).map(([k, v]) => [k, String(v)]).sort());

export type ExpectedAttribution = { attribution: string; reason: string; candidates: number; event: string | null };

/** The attribution the join rule gives each change of the ledger. */
export function expectedAttribution(ledger: readonly LedgerEntry[], records: readonly CloudTrailRecord[]): Map<string, ExpectedAttribution> {
  const second = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  const tableOf = (r: CloudTrailRecord) => String((r.requestParameters as { tableName?: string }).tableName ?? '').replace(/^.*\//, '');
  const near = (r: CloudTrailRecord, e: LedgerEntry) => Math.abs(second(String(r.eventTime)) - second(e.eventTime)) <= ATTRIBUTION_WINDOW_SECONDS;
  const sameRegion = (r: CloudTrailRecord, e: LedgerEntry) => r.recipientAccountId === e.accountId && r.awsRegion === e.region;
  const single = records.filter((r) => ['PutItem', 'UpdateItem', 'DeleteItem'].includes(String(r.eventName)));
  const keyMatches = (e: LedgerEntry) => single.filter((r) => sameRegion(r, e) && tableOf(r) === e.tableName && sortedKey((r.requestParameters as { key: unknown }).key) === sortedKey(JSON.parse(e.itemKey)) && near(r, e));
  const candidatesOf = new Map<string, string[]>();
  const claimants = new Map<string, number>();
  for (const e of ledger) {
    if (e.ttl) continue;
    const events = keyMatches(e).filter((r) => r.errorCode === undefined).map((r) => String(r.eventID));
    candidatesOf.set(e.eventId, events);
    for (const id of events) claimants.set(id, (claimants.get(id) ?? 0) + 1);
  }
  const out = new Map<string, ExpectedAttribution>();
  for (const e of ledger) {
    if (e.ttl) {
      out.set(e.eventId, { attribution: 'ttl', reason: 'ttl-expiry', candidates: 0, event: null });
      continue;
    }
    const events = candidatesOf.get(e.eventId) as string[];
    if (events.length === 1 && claimants.get(events[0] as string) === 1) {
      out.set(e.eventId, { attribution: 'exact', reason: 'single-item-call', candidates: 1, event: events[0] as string });
      continue;
    }
    if (events.length > 0) {
      out.set(e.eventId, { attribution: 'ambiguous', reason: 'competing-candidates', candidates: events.length, event: null });
      continue;
    }
    const partiqlOn = new RegExp(`(from|into|update)\\s+"?${e.tableName}"?(\\W|$)`, 'i');
    const onTable = records.filter((r) => {
      if (!sameRegion(r, e) || !near(r, e) || r.errorCode !== undefined) return false;
      const p = r.requestParameters as { requestItems?: unknown; statement?: string };
      if (r.eventName === 'TransactWriteItems') return (p.requestItems as { tableName?: string; TableName?: string }[]).some((i) => (i.tableName ?? i.TableName) === e.tableName);
      if (r.eventName === 'BatchWriteItem') return e.tableName in (p.requestItems as Record<string, unknown>);
      if (r.eventName === 'ExecuteStatement') return partiqlOn.test(p.statement ?? '');
      return false;
    });
    const reason = onTable.some((r) => r.eventName === 'TransactWriteItems')
      ? 'transact-write-items'
      : onTable.some((r) => r.eventName === 'BatchWriteItem')
        ? 'batch-write-item'
        : onTable.some((r) => r.eventName === 'ExecuteStatement')
          ? 'partiql'
          : keyMatches(e).some((r) => r.errorCode === 'ConditionalCheckFailedException')
            ? 'conditional-check-failed'
            : // No CloudTrail input at all for the change's account and region (the records given are the days read)
              !records.some((r) => sameRegion(r, e))
              ? 'cloudtrail-unavailable'
              : 'no-cloudtrail-event';
    out.set(e.eventId, { attribution: 'none', reason, candidates: 0, event: null });
  }
  return out;
}

