#!/usr/bin/env node
// The `ddb-audit` command. The CLI is TypeScript run through tsx's loaders, so it needs no build step.
require('tsx/cjs');
// Before any AWS SDK client loads: drops exactly the SDK's Node.js-version warning, nothing else.
require('../cli/sdk-node-warning.ts').installSdkNodeVersionWarningFilter();
require('./ddb-audit.ts')
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; })
  .catch((err) => {
    process.stderr.write(`ddb-audit: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
