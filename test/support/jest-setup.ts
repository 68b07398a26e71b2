/**
 * Runs in every test file's environment before it (jest.config.js setupFiles): keeps the AWS SDK's
 * Node.js-version warning out of the test output, exactly as the CLI entry does
 * (cli/sdk-node-warning.ts; other warnings still print).
 */
import { installSdkNodeVersionWarningFilter } from '../../cli/sdk-node-warning';

installSdkNodeVersionWarningFilter();
