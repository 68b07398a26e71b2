/**
 * cdk.json's CDK feature flags: every flag `cdk synth` reports as "not configured" is set, each
 * choice is documented in docs/development.md, and the flags leave the synthesized templates as
 * they were without them (so the other infrastructure tests, which build the app without cdk.json's
 * context, test the templates that are deployed), except for one deliberate addition:
 * `@aws-cdk/aws-lambda:useCdkManagedLogGroup` gives each function that has no log group of its own
 * (only CDK's internal providers: ours all set one) a log group with a retention.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { App } from 'aws-cdk-lib';
import { FLAGS } from 'aws-cdk-lib/cx-api';
import { buildAuditApp } from '../../lib/audit-app';
import { CONTEXT_KEY } from '../../lib/config/load';
import { exampleConfig, REPO_ROOT } from '../support/audit-app';

const context = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
const flags = Object.fromEntries(Object.entries(context).filter(([key]) => key !== CONTEXT_KEY));
/** The flags set to something other than CDK's recommendation, each for a reason in docs/development.md. */
const NOT_RECOMMENDED = ['@aws-cdk/aws-iam:minimizePolicies', '@aws-cdk/core:defaultCrossStackReferences', '@aws-cdk/core:enableAdditionalMetadataCollection', '@aws-cdk/core:enablePartitionLiterals'];

/** What the CDK CLI counts as "not configured": a flag whose unset behaviour in v2 differs from its recommended value. */
const unsetDiffersFromRecommended = Object.entries(FLAGS)
  .filter(([, f]) => JSON.stringify(f.unconfiguredBehavesLike?.v2 ?? false) !== JSON.stringify(f.recommendedValue))
  .map(([name]) => name)
  .sort();

function templates(withFlags: boolean): Record<string, unknown> {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'ddb-audit-flags-')), context: withFlags ? flags : {} });
  buildAuditApp(app, exampleConfig());
  const assembly = app.synth();
  return Object.fromEntries(
    assembly.stacks.map((stack) => {
      const template = JSON.parse(JSON.stringify(stack.template)) as { Resources?: Record<string, unknown> };
      // CDKMetadata is usage analytics (construct and flag names, compressed), not a resource AWS creates.
      delete template.Resources?.CDKMetadata;
      return [stack.stackName, template];
    }),
  );
}

describe('CDK feature flags in cdk.json', () => {
  test('sets every flag whose unset behaviour differs from CDK\'s recommendation (what `cdk synth` reports as not configured), and no other key', () => {
    expect(unsetDiffersFromRecommended.length).toBeGreaterThan(0);
    expect(Object.keys(flags).sort()).toEqual(unsetDiffersFromRecommended);
  });

  test('sets each flag to CDK\'s recommended value, except the documented exceptions', () => {
    const differing = Object.entries(flags)
      .filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(FLAGS[name]?.recommendedValue))
      .map(([name]) => name)
      .sort();
    expect(differing).toEqual([...NOT_RECOMMENDED].sort());
  });

  test('docs/development.md names every flag set and gives the reason for each exception', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'development.md'), 'utf8');
    expect(Object.keys(flags).filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
    // The exceptions' rows say the value chosen (not the recommendation) and why.
    for (const name of NOT_RECOMMENDED) expect(doc).toContain(`| \`${name}\` | \`${JSON.stringify(flags[name])}\` (recommended \`${JSON.stringify(FLAGS[name]?.recommendedValue)}\`) |`);
  });

  test('leave every synthesized template as it is without them, but for log groups of CDK-internal functions that have none', () => {
    const without = templates(false) as Record<string, { Resources: Record<string, { Type: string; Properties?: any }> }>;
    const withFlags = templates(true) as typeof without;
    expect(Object.keys(withFlags).sort()).toEqual(Object.keys(without).sort());
    for (const name of Object.keys(without)) {
      const before = without[name]!.Resources;
      const after = withFlags[name]!.Resources;
      const added = Object.keys(after).filter((id) => !(id in before));
      // Every resource that was there is unchanged, and none is gone.
      expect({ [name]: Object.fromEntries(Object.keys(before).map((id) => [id, after[id]])) }).toEqual({ [name]: before });
      for (const id of added) {
        const group = after[id]!;
        expect(group.Type).toBe('AWS::Logs::LogGroup');
        // It is named after a function of the same template, and that function set no log group of its own.
        const functionId = group.Properties.LogGroupName['Fn::Join'][1][1].Ref as string;
        expect(before[functionId]?.Type).toBe('AWS::Lambda::Function');
        expect(before[functionId]?.Properties?.LoggingConfig?.LogGroup).toBeUndefined();
        expect(functionId.startsWith('awscdk')).toBe(true);
        expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
      }
    }
  }, 120_000);
});
