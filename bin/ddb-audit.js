#!/usr/bin/env node
// The `ddb-audit` command. The CLI is TypeScript run through tsx's loaders, so it needs no build step.
require('tsx/cjs');
// Before any AWS SDK client loads: drops exactly the SDK's Node.js-version warning, nothing else.
require('../cli/sdk-node-warning.ts').installSdkNodeVersionWarningFilter();
require('./ddb-audit.ts')
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; })
  .catch((err) => {
    // Only a fault in the CLI itself reaches here (commands report their own errors): still one line.
    process.stderr.write(`ddb-audit: ${err && err.message ? String(err.message).split('\n')[0] : String(err)}\n`);
    process.exitCode = 1;
  });
