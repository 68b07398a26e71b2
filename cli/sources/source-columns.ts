/**
 * The columns of `ddb-audit sources list`, defined once so that the table and --json print the same
 * columns: the table shows each as text, --json keys it by its JSON name with the exact value.
 * An entry whose stream ARN does not parse still gets a row (account, region and label null), so a
 * broken entry is seen, not skipped.
 */
import type { SourceConfig } from '../../schemas/audit-config';
import { parseStreamArn } from '../../lambda/core/stream-arn';

export interface SourceRow {
  readonly index: number;
  readonly account: string | null;
  readonly region: string | null;
  readonly table: string | null;
  readonly stream_label: string | null;
  readonly actor_attribute: string | null;
  readonly redact: readonly string[];
  readonly kms_key_arn: string | null;
  readonly stream_arn: unknown;
}

export interface SourceColumn {
  readonly header: string;
  readonly json: keyof SourceRow;
  readonly text: (row: SourceRow) => string;
}

export const SOURCE_COLUMNS: readonly SourceColumn[] = [
  { header: '#', json: 'index', text: (r) => String(r.index) },
  { header: 'account', json: 'account', text: (r) => r.account ?? '?' },
  { header: 'region', json: 'region', text: (r) => r.region ?? '?' },
  { header: 'table', json: 'table', text: (r) => r.table ?? `(invalid ARN: ${String(r.stream_arn)})` },
  { header: 'stream label', json: 'stream_label', text: (r) => r.stream_label ?? '?' },
  { header: 'actor attribute', json: 'actor_attribute', text: (r) => r.actor_attribute ?? '-' },
  { header: 'redact', json: 'redact', text: (r) => r.redact.join(',') || '-' },
  { header: 'CMK', json: 'kms_key_arn', text: (r) => (r.kms_key_arn ? 'yes' : 'no') },
  { header: 'stream ARN', json: 'stream_arn', text: (r) => String(r.stream_arn ?? '') },
];

/** One cdk.json source entry (raw, not validated) as a row. */
export function sourceRow(raw: unknown, index: number): SourceRow {
  const s = (raw ?? {}) as Partial<SourceConfig>;
  const arn = typeof s.streamArn === 'string' ? parseStreamArn(s.streamArn) : undefined;
  return {
    index,
    account: arn?.accountId ?? null,
    region: arn?.region ?? null,
    table: arn?.tableName ?? null,
    stream_label: arn?.streamLabel ?? null,
    actor_attribute: typeof s.actorAttribute === 'string' ? s.actorAttribute : null,
    redact: Array.isArray(s.redact) ? s.redact.map(String) : [],
    kms_key_arn: typeof s.kmsKeyArn === 'string' ? s.kmsKeyArn : null,
    stream_arn: s.streamArn,
  };
}
