/**
 * Builds every stack of a deployment from one validated config:
 *
 *   DdbAuditCollector (audit account)      key, buckets, Glue, Firehose, collector + its role, Athena, alarms
 *     <- DdbAuditSource-<account> (each)   stream resource policies naming the collector role
 *       <- DdbAuditMappings (audit account) stream-read IAM + one event source mapping per stream
 *
 * Arrows are stack dependencies, so `cdk deploy --all` runs them in that order across accounts.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuditConfig } from '../schemas/audit-config';
import { resolveSources, sourceAccounts } from './config/load';
import { AuditStack } from './audit-stack';
import { MappingsStack } from './mappings-stack';
import { SourceAccountStack } from './source-account-stack';
import { AUDIT_STACK_NAME, MAPPINGS_STACK_NAME, sourceStackName } from './stack-names';
import { collectorRoleArn, watchRoleArn } from './stream-policy';
import { resolveWatch } from './config/load';

export { AUDIT_STACK_NAME, MAPPINGS_STACK_NAME, sourceStackName };

export interface AuditAppOptions {
  /** @default the repository's athena-queries/ */
  readonly queriesDir?: string;
  /** Run cdk-nag's AwsSolutions checks at synth. @default true */
  readonly nag?: boolean;
}

export interface AuditAppStacks {
  readonly audit: AuditStack;
  readonly sources: ReadonlyMap<string, SourceAccountStack>;
  readonly mappings: MappingsStack;
}

export function buildAuditApp(app: App, config: AuditConfig, options: AuditAppOptions = {}): AuditAppStacks {
  const auditEnv = { account: config.auditAccountId, region: config.region };
  const resolved = resolveSources(config);

  const audit = new AuditStack(app, AUDIT_STACK_NAME, {
    env: auditEnv,
    description: 'ddb-audit: audit account (change log, collector, Firehose, Glue, Athena, alarms)',
    config,
    queriesDir: options.queriesDir,
  });

  // Literal ARN (not a token from the audit stack): a cross-account reference cannot be resolved.
  const roleArn = collectorRoleArn({ auditAccountId: config.auditAccountId, region: config.region, partition: resolved[0]?.arn.partition });
  const sources = new Map<string, SourceAccountStack>();
  for (const accountId of sourceAccounts(config)) {
    const stack = new SourceAccountStack(app, sourceStackName(accountId), {
      env: { account: accountId, region: config.region },
      description: `ddb-audit: stream policies of source account ${accountId} granting the collector read access`,
      sources: resolved.filter((s) => s.arn.accountId === accountId),
      collectorRoleArn: roleArn,
      // The watch's role, named in the source's statements only when the audit stack creates it.
      watchRoleArn: resolveWatch(config).enabled ? watchRoleArn({ auditAccountId: config.auditAccountId, region: config.region, partition: resolved[0]?.arn.partition }) : undefined,
    });
    stack.addStackDependency(audit);
    sources.set(accountId, stack);
  }

  const mappings = new MappingsStack(app, MAPPINGS_STACK_NAME, {
    env: auditEnv,
    description: 'ddb-audit: collector stream-read policy and one event source mapping per onboarded stream',
    sources: resolved,
    collector: audit.collector.function,
    collectorRole: audit.collector.role,
    failureBucket: audit.buckets.failures,
  });
  mappings.addStackDependency(audit);
  for (const stack of sources.values()) mappings.addStackDependency(stack);

  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { audit, sources, mappings };
}
