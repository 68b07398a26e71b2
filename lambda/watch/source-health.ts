/**
 * What the watch concludes about one source from what it observed: pure, so every state is tested
 * without AWS (test/unit/stream-watch.unit.test.ts).
 *
 * Fail closed: a source is 'healthy' only when every check it needed answered and none found a
 * problem. A throttled or refused call makes it 'unknown', never 'healthy'.
 */

/** What DescribeTable said about the table's stream, or why it could not be read. */
export type TableObservation =
  | { readonly kind: 'ok'; readonly streamEnabled: boolean; readonly latestStreamArn: string | null; readonly viewType: string | null }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unknown'; readonly reason: string };

/** What DescribeStream said about the configured stream. Not every run describes every stream (see check-sources.ts). */
export type StreamObservation =
  | { readonly kind: 'ok'; readonly status: string; readonly viewType: string | null; readonly createdAt: string | null }
  | { readonly kind: 'not-checked' }
  | { readonly kind: 'unknown'; readonly reason: string };

/** The event source mapping of the collector on the configured stream. */
export type MappingObservation =
  | { readonly kind: 'ok'; readonly uuid: string; readonly state: string; readonly lastProcessingResult: string | null; readonly eventSourceArn: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unknown'; readonly reason: string };

export interface SourceObservation {
  readonly tableArn: string;
  /** The stream ARN in the config, which the mapping reads. */
  readonly configuredStreamArn: string;
  readonly table: TableObservation;
  readonly stream: StreamObservation;
  readonly mapping: MappingObservation;
}

export type Health = 'healthy' | 'unhealthy' | 'unknown';

export type Problem =
  | 'table-missing'
  | 'stream-disabled'
  | 'stream-replaced'
  | 'view-type-changed'
  | 'mapping-missing'
  | 'mapping-disabled'
  | 'mapping-problem';

export interface SourceHealth {
  readonly tableArn: string;
  readonly configuredStreamArn: string;
  /** The table's current stream, when DescribeTable answered. */
  readonly latestStreamArn: string | null;
  readonly health: Health;
  readonly problems: readonly Problem[];
  /** Why a check could not answer (throttled, access denied): set when health is 'unknown'. */
  readonly unknownReasons: readonly string[];
  /** ENABLED, DISABLED, ... from DescribeStream; 'not-checked' this run, or 'unknown'. */
  readonly streamStatus: string;
  readonly mappingState: string;
  /** What the operator runs to resolve it; null when healthy or nothing the CLI can do. */
  readonly command: string | null;
}

/** Lambda reports a processing problem as a LastProcessingResult starting with PROBLEM (e.g. "PROBLEM: Function call failed"). */
function isProblemResult(result: string | null): boolean {
  return result !== null && result.toUpperCase().startsWith('PROBLEM');
}

export function assessSource(o: SourceObservation): SourceHealth {
  const problems: Problem[] = [];
  const unknownReasons: string[] = [];
  let latestStreamArn: string | null = null;

  if (o.table.kind === 'missing') problems.push('table-missing');
  else if (o.table.kind === 'unknown') unknownReasons.push(`DescribeTable: ${o.table.reason}`);
  else {
    latestStreamArn = o.table.latestStreamArn;
    if (!o.table.streamEnabled) problems.push('stream-disabled');
    else if (o.table.latestStreamArn !== null && o.table.latestStreamArn !== o.configuredStreamArn) problems.push('stream-replaced');
  }

  if (o.stream.kind === 'unknown') unknownReasons.push(`DescribeStream: ${o.stream.reason}`);
  else if (o.stream.kind === 'ok') {
    if (o.stream.status !== 'ENABLED' && !problems.includes('stream-disabled')) problems.push('stream-disabled');
    if (o.table.kind === 'ok' && o.table.streamEnabled && o.table.viewType !== null && o.stream.viewType !== null && o.table.viewType !== o.stream.viewType) {
      problems.push('view-type-changed');
    }
  }

  if (o.mapping.kind === 'missing') problems.push('mapping-missing');
  else if (o.mapping.kind === 'unknown') unknownReasons.push(`ListEventSourceMappings: ${o.mapping.reason}`);
  else {
    if (o.mapping.state !== 'Enabled') problems.push('mapping-disabled');
    if (isProblemResult(o.mapping.lastProcessingResult)) problems.push('mapping-problem');
  }

  const health: Health = problems.length > 0 ? 'unhealthy' : unknownReasons.length > 0 ? 'unknown' : 'healthy';
  return {
    tableArn: o.tableArn,
    configuredStreamArn: o.configuredStreamArn,
    latestStreamArn,
    health,
    problems,
    unknownReasons,
    streamStatus: o.stream.kind === 'ok' ? o.stream.status : o.stream.kind,
    mappingState: o.mapping.kind === 'ok' ? o.mapping.state : o.mapping.kind,
    command: commandFor(o.tableArn, problems, latestStreamArn, o.configuredStreamArn),
  };
}

function commandFor(tableArn: string, problems: readonly Problem[], latest: string | null, configured: string): string | null {
  if (problems.includes('stream-replaced') && latest !== null && latest !== configured) {
    return `ddb-audit sources rotate --table-arn ${tableArn} --stream-arn ${latest} && npx cdk deploy --all`;
  }
  if (problems.includes('stream-disabled')) {
    return `re-enable the stream of ${tableArn} (NEW_AND_OLD_IMAGES), then: ddb-audit sources rotate --table-arn ${tableArn} --stream-arn NEW_STREAM_ARN && npx cdk deploy --all`;
  }
  if (problems.includes('mapping-disabled') || problems.includes('mapping-missing')) return 'npx cdk deploy --all   (re-creates and enables the mapping), then ddb-audit doctor';
  if (problems.includes('mapping-problem')) return 'ddb-audit doctor; then ddb-audit replay --from-stack for batches in the failure bucket';
  return null;
}
