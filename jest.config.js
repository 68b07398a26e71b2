/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // .ts first: bin/ddb-audit.ts sits beside its JavaScript launcher bin/ddb-audit.js.
  moduleFileExtensions: ['ts', 'js', 'json'],
  // ts-jest only transpiles here (tsconfig isolatedModules); `npm test` runs `tsc --noEmit` first for types.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // Drops exactly the AWS SDK's Node.js-version warning from test output (cli/sdk-node-warning.ts).
  setupFiles: ['<rootDir>/test/support/jest-setup.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
