/**
 * Builds every stack of a deployment from one validated config:
 *
 *   DdbAuditCollector (audit account)                 key, buckets, Glue, Firehose streams, collector + its
 *                                                     constant-size role, Athena, alarms
 *     <- DdbAuditWatch (audit account, optional)      the stream-lifecycle watch and its fixed-name role
 *     <- DdbAuditSource-<account>[-<n>] (each)        stream (and, with the watch, table) policy statements
 *                                                     naming the collector and watch roles
 *       <- DdbAuditMappings-<account>[-<n>] (audit)   one event source mapping per stream of that account
 *
 * Arrows are stack dependencies, so `cdk deploy --all` runs them in that order across accounts.
 * Source and mappings stacks are chunked with their own capacities (./stack-chunks.ts), so an
 * account's mappings stacks depend on all of its source stacks; source stacks depend on the watch
 * stack (they name its role). Onboarding a table touches its own account's stacks and, with the
 * watch, the watch stack's source list (a layer file); not the audit stack.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuditConfig } from '../schemas/audit-config';
import { deliveryStreamPlan, resolveSources, resolveWatch, sourceAccounts } from './config/load';
import { AuditStack } from './audit-stack';
import { MappingsStack } from './mappings-stack';
import { SourceAccountStack } from './source-account-stack';
import { chunksOf, MAPPINGS_PER_STACK, SOURCES_PER_SOURCE_STACK } from './stack-chunks';
import { AUDIT_STACK_NAME, MAPPINGS_STACK_NAME, mappingsStackName, sourceStackName, WATCH_STACK_NAME } from './stack-names';
import { WatchStack } from './watch-stack';
import { collectorRoleArn, watchRoleArn } from './stream-policy';

export { AUDIT_STACK_NAME, MAPPINGS_STACK_NAME, mappingsStackName, sourceStackName, WATCH_STACK_NAME };

export interface AuditAppOptions {
  /** @default the repository's athena-queries/ */
  readonly queriesDir?: string;
  /** Run cdk-nag's AwsSolutions checks at synth. @default true */
  readonly nag?: boolean;
}

export interface AuditAppStacks {
  readonly audit: AuditStack;
  /** Present when watch.enabled is true (the default): DdbAuditWatch. */
  readonly watch?: WatchStack;
  /** Keyed by stack name, in config order of accounts. */
  readonly sources: ReadonlyMap<string, SourceAccountStack>;
  /** Keyed by stack name, in config order of accounts. */
  readonly mappings: ReadonlyMap<string, MappingsStack>;
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
  const location = { auditAccountId: config.auditAccountId, region: config.region, partition: resolved[0]?.arn.partition };
  const roleArn = collectorRoleArn(location);
  // The watch (its own stack) and its role, named in the sources' statements only when it is deployed.
  const watchEnabled = resolveWatch(config).enabled;
  const watchRole = watchEnabled ? watchRoleArn(location) : undefined;
  let watch: WatchStack | undefined;
  if (watchEnabled) {
    watch = new WatchStack(app, WATCH_STACK_NAME, {
      env: auditEnv,
      description: 'ddb-audit: stream-lifecycle watch (schedule, function, role, state bucket, alarms)',
      config,
      audit,
      deliveryStreamCount: deliveryStreamPlan(config).streamCount,
    });
    watch.addStackDependency(audit);
  }
  const sources = new Map<string, SourceAccountStack>();
  const mappings = new Map<string, MappingsStack>();
  for (const accountId of sourceAccounts(config)) {
    const ofAccount = resolved.filter((s) => s.arn.accountId === accountId);
    const policyChunks = chunksOf(ofAccount, SOURCES_PER_SOURCE_STACK);
    policyChunks.forEach((chunk, n) => {
      const name = sourceStackName(accountId, n);
      const stack = new SourceAccountStack(app, name, {
        env: { account: accountId, region: config.region },
        description: `ddb-audit: stream and table policy statements of source account ${accountId} for the collector and the stream watch (part ${n + 1} of ${policyChunks.length})`,
        sources: chunk,
        collectorRoleArn: roleArn,
        watchRoleArn: watchRole,
        chunk: n,
      });
      stack.addStackDependency(audit);
      // The statements name the watch role, which must exist first.
      if (watch) stack.addStackDependency(watch);
      sources.set(name, stack);
    });
    const mappingChunks = chunksOf(ofAccount, MAPPINGS_PER_STACK);
    mappingChunks.forEach((chunk, n) => {
      const name = mappingsStackName(accountId, n);
      const stack = new MappingsStack(app, name, {
        env: auditEnv,
        description: `ddb-audit: event source mappings of source account ${accountId}'s streams (part ${n + 1} of ${mappingChunks.length})`,
        sources: chunk,
        collector: audit.collector.function,
        failureBucket: audit.buckets.failures,
      });
      stack.addStackDependency(audit);
      // Every source stack of the account: each stream policy must exist before its mapping.
      for (let p = 0; p < policyChunks.length; p++) stack.addStackDependency(sources.get(sourceStackName(accountId, p)) as SourceAccountStack);
      mappings.set(name, stack);
    });
  }

  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { audit, watch, sources, mappings };
}
