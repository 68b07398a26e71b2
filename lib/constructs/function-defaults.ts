/**
 * The Lambda defaults every ddb-audit function shares, in one place: Node.js 24 on ARM64, bundled
 * from this repository with the local esbuild (no Docker), minified, with source maps that Node.js
 * actually uses (NodejsFunction's `sourceMap` does not set --enable-source-maps by itself), and the
 * AWS SDK bundled at the version the tests ran against rather than whatever the runtime ships.
 */
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

const PROJECT_ROOT = path.join(__dirname, '..', '..');

/** Node.js options every function runs with. */
export const SOURCE_MAP_NODE_OPTIONS = '--enable-source-maps';

/**
 * NodejsFunction props for the handler lambda/handlers/<name>.ts. Callers add what is theirs
 * (memory, timeout, role, environment, ...); `define` and `nodeOptions` extend the defaults.
 */
export function functionDefaults(name: string, options: { define?: Record<string, string>; nodeOptions?: readonly string[] } = {}): nodejs.NodejsFunctionProps & { environment: Record<string, string> } {
  return {
    entry: path.join(PROJECT_ROOT, 'lambda', 'handlers', `${name}.ts`),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    environment: { NODE_OPTIONS: (options.nodeOptions ?? [SOURCE_MAP_NODE_OPTIONS]).join(' ') },
    bundling: { forceDockerBundling: false, target: 'node24', minify: true, sourceMap: true, bundleAwsSDK: true, define: options.define },
  };
}
