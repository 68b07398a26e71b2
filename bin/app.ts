/**
 * The CDK app (cdk.json "app"). Reads the config from context key "audit" (cdk.json, or
 * `-c audit='{...}'`), validates it, and builds the stacks. An invalid config stops the synth
 * with the validator's message, which names each entry, field and value that is wrong.
 */
import { App } from 'aws-cdk-lib';
import { buildAuditApp } from '../lib/audit-app';
import { auditConfigFromContext, CONTEXT_KEY } from '../lib/config/load';
import { AuditConfigError, validateAuditConfig } from '../lib/config/validate';

const app = new App();
try {
  const config = validateAuditConfig(auditConfigFromContext(app.node.tryGetContext(CONTEXT_KEY)));
  buildAuditApp(app, config);
} catch (err) {
  if (!(err instanceof AuditConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
app.synth();
