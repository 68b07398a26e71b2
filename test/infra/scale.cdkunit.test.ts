/**
 * Organization scale by construction (issue 11): the collector role's policies do not change with
 * the sources, stacks that grow with the sources are split at a fixed capacity, onboarding a table
 * changes only its own account's stacks, and the delivery streams are sized from the config.
 * Real CDK synthesis of generated configs (bench/scale-config.ts); cdk-nag over the full app is
 * covered by cross-account.cdkunit.test.ts and `npm run scale`.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { AuditConfig } from '../../schemas/audit-config';
import { AUDIT_STACK_OUTPUT } from '../../schemas/deployment';
import { AuditStack } from '../../lib/audit-stack';
import { buildAuditApp } from '../../lib/audit-app';
import { AuditConfigError, validateAuditConfig } from '../../lib/config/validate';
import { deliveryStreamPlan, MAX_DELIVERY_STREAMS } from '../../lib/config/load';
import { MAPPINGS_PER_STACK, SOURCES_PER_SOURCE_STACK, STACK_RESOURCE_BUDGET } from '../../lib/stack-chunks';
import { COLLECTOR_STREAM_SID, WATCH_TABLE_SID } from '../../lib/stream-policy';
import { ALLOWED_STATEMENTS_ENV } from '../../lambda/resource-policy/statement-bounds';
import { RESOURCE_POLICY_STATEMENT_TYPE } from '../../lambda/resource-policy/contract';
import { AUDIT_STACK_NAME, mappingsStackName, sourceStackName, WATCH_STACK_NAME } from '../../lib/stack-names';
import { DELIVERY_STREAM_NAME_PREFIX } from '../../lambda/core/delivery-routing';
import { AUDIT_ACCOUNT_ID, generateScaleConfig, REGION } from '../../bench/scale-config';

type Resource = { Type: string; Properties: any };

/**
 * Every test here reads templates, none a function's bundle, so the syntheses skip esbuild: with an
 * empty `aws:cdk:bundling-stacks` CDK stages each function's source folder as it is and hashes the
 * construct path instead of the bundle. Resource counts, template sizes and template diffs stay the
 * same; about ten bundlings per synthesis are saved.
 */
const TEMPLATES_ONLY = { 'aws:cdk:bundling-stacks': [] as string[] };

function auditTemplate(config: AuditConfig): Record<string, Resource> {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'ddb-audit-scale-')), context: TEMPLATES_ONLY });
  const stack = new AuditStack(app, AUDIT_STACK_NAME, { env: { account: config.auditAccountId, region: config.region }, config });
  return Template.fromStack(stack).toJSON().Resources;
}

/** Every template of a full synthesis, by stack name. */
function synthesizeAll(config: AuditConfig): Map<string, string> {
  const outdir = mkdtempSync(join(tmpdir(), 'ddb-audit-scale-'));
  const app = new App({ outdir, context: TEMPLATES_ONLY });
  buildAuditApp(app, config, { nag: false });
  app.synth();
  return new Map(readdirSync(outdir).filter((f) => f.endsWith('.template.json')).map((f) => [f.replace(/\.template\.json$/, ''), readFileSync(join(outdir, f), 'utf8')]));
}

const collectorRolePolicies = (resources: Record<string, Resource>) =>
  Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes('CollectorRole'))
    .map(([id, r]) => [id, r.Properties.PolicyDocument])
    .sort();

describe('the collector role at 1, 100 and 1,000 sources', () => {
  let templates: Record<string, Resource>[];
  beforeAll(() => {
    templates = [generateScaleConfig(1, 1), generateScaleConfig(10, 10), generateScaleConfig(100, 10)].map(auditTemplate);
  }, 240_000);

  it('has byte-identical policies, whatever the number of sources', () => {
    const [one, hundred, thousand] = templates.map((t) => JSON.stringify(collectorRolePolicies(t))) as [string, string, string];
    expect(one).toBe(hundred);
    expect(one).toBe(thousand);
    // The collector, heartbeat-read, stream-read and tracing policies: the test compares what it means to.
    expect(collectorRolePolicies(templates[0]!).map(([id]) => String(id).replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'CollectorPolicy',
      'CollectorRoleDefaultPolicy',
      'CollectorStreamReadPolicy',
      'HeartbeatCollectorReadsHeartbeat',
    ]);
    // And inside IAM's 10,240-character limit for a role's inline policies.
    expect(one.length).toBeLessThan(10_240);
  });

  it('creates as many delivery streams as 1,000 sources need, each with its four alarms, and lists them all in the stack output', () => {
    const resources = templates[2]!;
    const streams = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::KinesisFirehose::DeliveryStream');
    // ceil(2 x 1,001 / 500) = 5 at least (the heartbeat counts as a source).
    expect(streams.length).toBeGreaterThanOrEqual(5);
    const named = streams.map(([, r]) => r.Properties.DeliveryStreamName).filter((n) => n !== undefined).sort();
    expect(named).toEqual(Array.from({ length: streams.length - 1 }, (_, i) => `${DELIVERY_STREAM_NAME_PREFIX}${i + 1}`).sort());
    const collector = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === 'ddb-audit-collector')!;
    expect(collector.Properties.Environment.Variables.DELIVERY_STREAM_COUNT).toBe(String(streams.length));
    expect(collector.Properties.Environment.Variables.DELIVERY_STREAM_PREFIX).toBe(DELIVERY_STREAM_NAME_PREFIX);
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && String(r.Properties.AlarmName).includes('PartitionCountExceeded'));
    expect(alarms).toHaveLength(streams.length);
    const template = templates[2]!;
    expect(Object.keys(template).length).toBeLessThanOrEqual(400);
  });

  it('has per-source options in a layer file, not in the bundle or the environment', () => {
    const collector = Object.values(templates[2]!).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === 'ddb-audit-collector')!;
    expect(collector.Properties.Environment.Variables.SOURCE_OPTIONS_FILE).toBe('/opt/ddb-audit/source-options.json');
    expect(collector.Properties.Environment.Variables.SOURCE_OPTIONS).toBeUndefined();
    expect(collector.Properties.Layers).toHaveLength(1);
  });
});

describe('onboarding one table', () => {
  // Account 200000000001 gets a table whose name no account has. The Glue table registers partitions
  // as objects arrive (no projection enums), so the name changes nothing in the audit stack. The new
  // source has no per-source options (those are in the collector's layer, in the audit stack) and
  // does not change the delivery stream count. The stream watch's source list (its layer file, in
  // the watch stack) does change: that one resource, and nothing else of the watch stack.
  const without = generateScaleConfig(3, 4);
  const after = validateAuditConfig({
    ...without,
    sources: [...without.sources, { streamArn: `arn:aws:dynamodb:${REGION}:200000000001:table/brand-new-table/stream/2026-02-01T00:00:00.000` }],
  });

  it("changes only the templates of its own account's stacks, and of the watch stack only its source list (a diff of two syntheses)", () => {
    const a = synthesizeAll(without);
    const b = synthesizeAll(after);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    const changed = [...b.keys()].filter((name) => a.get(name) !== b.get(name)).sort();
    expect(changed).toEqual([mappingsStackName('200000000001'), sourceStackName('200000000001'), WATCH_STACK_NAME].sort());
    const resourcesOf = (text: string) => JSON.parse(text).Resources as Record<string, unknown>;
    const [before, later] = [resourcesOf(a.get(WATCH_STACK_NAME)!), resourcesOf(b.get(WATCH_STACK_NAME)!)];
    const changedResources = Object.keys(later).filter((id) => JSON.stringify(before[id]) !== JSON.stringify(later[id]));
    expect(changedResources).toEqual([expect.stringMatching(/^WatchSources[0-9A-F]{8}$/)]);
    expect(Object.keys(later).sort()).toEqual(Object.keys(before).sort());
  }, 240_000);
});

describe('an account with more tables than one stack holds', () => {
  const oneAccount = (tables: number) => generateScaleConfig(1, tables);
  let small: Map<string, string>;
  let large: Map<string, string>;
  beforeAll(() => {
    small = synthesizeAll(oneAccount(MAPPINGS_PER_STACK * 2 + 1));
    large = synthesizeAll(oneAccount(MAPPINGS_PER_STACK * 2 + 2));
  }, 300_000);

  // 601 tables: mappings chunks of 300 (300, 300, 1), source chunks of 197 with the watch's two statements each (197 x 3, 10).
  const sourceChunks = Math.ceil((MAPPINGS_PER_STACK * 2 + 1) / SOURCES_PER_SOURCE_STACK);

  it(`is split into fixed-capacity mappings and source stacks, each at most ${STACK_RESOURCE_BUDGET} resources and 800 KB, the fullest source stack included`, () => {
    const account = '200000000000';
    expect(sourceChunks).toBe(4);
    expect([...small.keys()].sort()).toEqual(
      [AUDIT_STACK_NAME, WATCH_STACK_NAME, ...[0, 1, 2].map((n) => mappingsStackName(account, n)), ...Array.from({ length: sourceChunks }, (_, n) => sourceStackName(account, n))].sort(),
    );
    const sizes = [...small].map(([name, text]) => ({ name, resources: Object.keys(JSON.parse(text).Resources).length, bytes: Buffer.byteLength(text) }));
    for (const size of sizes) expect({ ...size, resources: size.resources <= STACK_RESOURCE_BUDGET, bytes: size.bytes <= 800 * 1024 }).toEqual({ ...size, resources: true, bytes: true });
    const mappingsIn = (n: number) => Object.values(JSON.parse(small.get(mappingsStackName(account, n))!).Resources as Record<string, Resource>).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping').length;
    expect([0, 1, 2].map(mappingsIn)).toEqual([MAPPINGS_PER_STACK, MAPPINGS_PER_STACK, 1]);
    // Each source stack: one stream statement and one table statement (the watch's) per source.
    const statementsIn = (n: number) => Object.values(JSON.parse(small.get(sourceStackName(account, n))!).Resources as Record<string, Resource>).filter((r) => r.Type === RESOURCE_POLICY_STATEMENT_TYPE);
    expect(Array.from({ length: sourceChunks }, (_, n) => statementsIn(n).length)).toEqual([2 * SOURCES_PER_SOURCE_STACK, 2 * SOURCES_PER_SOURCE_STACK, 2 * SOURCES_PER_SOURCE_STACK, 2 * 10]);
    expect(statementsIn(0).filter((r) => JSON.parse(r.Properties.Statement).Sid === WATCH_TABLE_SID)).toHaveLength(SOURCES_PER_SOURCE_STACK);
    // Each source stack writes Sids of its own (chunk 0 the legacy ones), so a source moving between
    // stacks is never "same Sid, then the losing stack's Delete" (test/unit/stream-policy-chunk-moves.unit.test.ts).
    const sidsIn = (n: number) => [...new Set(statementsIn(n).map((r) => JSON.parse(r.Properties.Statement).Sid as string))].sort();
    expect(Array.from({ length: sourceChunks }, (_, n) => sidsIn(n))).toEqual([
      [COLLECTOR_STREAM_SID, WATCH_TABLE_SID],
      ['DdbAuditCollectorReadsStreamChunk1', 'DdbAuditWatchDescribesTableChunk1'],
      ['DdbAuditCollectorReadsStreamChunk2', 'DdbAuditWatchDescribesTableChunk2'],
      ['DdbAuditCollectorReadsStreamChunk3', 'DdbAuditWatchDescribesTableChunk3'],
    ]);
    // And each provider may write only its own chunk's Sids; k > 0 may also remove (never write) the legacy ones.
    const boundsIn = (n: number) => {
      const fn = Object.values(JSON.parse(small.get(sourceStackName(account, n))!).Resources as Record<string, Resource>).find((r) => r.Type === 'AWS::Lambda::Function')!;
      return (JSON.parse(fn.Properties.Environment.Variables[ALLOWED_STATEMENTS_ENV]) as { sid: string; removeOnly?: boolean }[]).map((b) => `${b.sid}${b.removeOnly ? ' (remove only)' : ''}`);
    };
    expect(boundsIn(0)).toEqual([COLLECTOR_STREAM_SID, WATCH_TABLE_SID]);
    expect(boundsIn(2)).toEqual(['DdbAuditCollectorReadsStreamChunk2', 'DdbAuditWatchDescribesTableChunk2', `${COLLECTOR_STREAM_SID} (remove only)`, `${WATCH_TABLE_SID} (remove only)`]);
    // The fullest source stack is the largest the capacity allows, and it is within the budget.
    const fullest = sizes.find((s) => s.name === sourceStackName(account, 0))!;
    const withoutMetadata = Object.values(JSON.parse(small.get(sourceStackName(account, 0))!).Resources as Record<string, Resource>).filter((r) => r.Type !== 'AWS::CDK::Metadata').length;
    expect(withoutMetadata).toBe(4 + 2 * SOURCES_PER_SOURCE_STACK); // the provider's four + two per source (+ CDK's metadata when analytics is on)
    expect(fullest.resources).toBeLessThanOrEqual(STACK_RESOURCE_BUDGET);
  });

  it('takes one more table into its last chunks only: no other source moves', () => {
    const account = '200000000000';
    const changed = [...large.keys()].filter((name) => small.get(name) !== large.get(name)).sort();
    // And the watch stack's source list.
    expect(changed).toEqual([mappingsStackName(account, 2), sourceStackName(account, sourceChunks - 1), WATCH_STACK_NAME].sort());
  });
});

describe('the audit stack at the most delivery streams a config may need', () => {
  it(`stays at or below 400 resources and 800 KB with ${MAX_DELIVERY_STREAMS} streams`, () => {
    // Two syntheses, one stream and many, give the cost of one stream; projected to the maximum.
    // (Hash routing makes an exact count hard to aim at: activePartitionQuota 4 leaves one source
    // per stream, and the plan grows the count until no two sources share one.)
    const many = [6, 7, 8, 9, 5].map((n) => generateScaleConfig(1, n, { delivery: { activePartitionQuota: 4 } })).find((c) => {
      try {
        return deliveryStreamPlan(c).streamCount >= 10;
      } catch {
        return false;
      }
    })!;
    const size = (config: AuditConfig) => {
      const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'ddb-audit-scale-')), context: TEMPLATES_ONLY });
      const template = Template.fromStack(new AuditStack(app, AUDIT_STACK_NAME, { env: { account: config.auditAccountId, region: config.region }, config })).toJSON();
      const streams = Object.values(template.Resources as Record<string, Resource>).filter((r) => r.Type === 'AWS::KinesisFirehose::DeliveryStream').length;
      return { streams, resources: Object.keys(template.Resources).length, bytes: Buffer.byteLength(JSON.stringify(template, null, 1)) };
    };
    const one = size(generateScaleConfig(1, 1));
    const more = size(many);
    expect(one.streams).toBe(1);
    expect(more.streams).toBe(deliveryStreamPlan(many).streamCount);
    const perStream = (more.resources - one.resources) / (more.streams - one.streams);
    expect(perStream).toBe(6);
    const bytesPerStream = (more.bytes - one.bytes) / (more.streams - one.streams);
    expect(one.resources + perStream * (MAX_DELIVERY_STREAMS - 1)).toBeLessThanOrEqual(400);
    expect(one.bytes + bytesPerStream * (MAX_DELIVERY_STREAMS - 1)).toBeLessThanOrEqual(800 * 1024);
  }, 120_000);
});

describe('a config no delivery stream count fits', () => {
  it('is refused at synth with one line naming the sources, the quota and what to raise', () => {
    const config = generateScaleConfig(6, 10, { delivery: { activePartitionQuota: 4 } });
    expect(() => buildAuditApp(new App(), config, { nag: false })).toThrow(AuditConfigError);
    expect(() => buildAuditApp(new App(), config, { nag: false })).toThrow(
      'delivery: 61 sources need more than 42 delivery streams at delivery.activePartitionQuota 4 (1 sources per stream); ask AWS to raise the Firehose active partition quota (up to 5,000) and set delivery.activePartitionQuota to the raised value',
    );
  });

  it('refuses a quota outside what Firehose allows', () => {
    expect(() => generateScaleConfig(1, 1, { delivery: { activePartitionQuota: 6000 } })).toThrow(/activePartitionQuota/);
  });
});

it('keeps the stack output of delivery stream names a comma-separated list of every stream', () => {
  const resources = auditTemplate(generateScaleConfig(30, 10));
  const app = new App({ context: TEMPLATES_ONLY });
  const stack = new AuditStack(app, 'Probe', { env: { account: AUDIT_ACCOUNT_ID, region: REGION }, config: generateScaleConfig(30, 10) });
  const output = Template.fromStack(stack).toJSON().Outputs[AUDIT_STACK_OUTPUT.deliveryStreams].Value;
  const streams = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::KinesisFirehose::DeliveryStream');
  expect(output['Fn::Join'][0]).toBe(',');
  expect(output['Fn::Join'][1]).toHaveLength(streams.length);
  expect(streams.length).toBeGreaterThan(1);
}, 120_000);
