/**
 * The filter for the AWS SDK's Node.js-version warning (cli/sdk-node-warning.ts): it drops that
 * warning, as the SDK itself emits it, and passes every other warning through.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { installSdkNodeVersionWarningFilter, isSdkNodeVersionWarning } from '../../cli/sdk-node-warning';

const ROOT = join(__dirname, '..', '..');

// The texts @aws-sdk/core has emitted: the current one (3.9xx, Node.js 20 end of support) and the
// earlier wording (Node.js 18 and before).
const CURRENT = 'NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after the first week of January 2027\nwill require node >=22. You are running node v20.20.0.\n\nTo continue receiving updates to AWS services, bug fixes,\nand security updates please upgrade to node >=22.\n\nMore information can be found at: https://a.co/c895JFp';
const EARLIER = 'NodeDeprecationWarning: The AWS SDK for JavaScript (v3) will\nno longer support Node.js v18.20.8 in January 2026.';

/** Runs a script in a fresh Node.js process (tsx loads the .ts filter) and returns its stderr. */
function stderrOf(script: string, env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  expect(result.status).toBe(0);
  return result.stderr;
}

describe('isSdkNodeVersionWarning', () => {
  test('recognizes both wordings of the SDK warning, as a string of the default type and as an Error named Warning', () => {
    for (const text of [CURRENT, EARLIER]) {
      expect(isSdkNodeVersionWarning(text)).toBe(true);
      expect(isSdkNodeVersionWarning(text, 'Warning')).toBe(true);
      expect(isSdkNodeVersionWarning(text, { type: 'Warning' })).toBe(true);
      const error = new Error(text);
      error.name = 'Warning';
      expect(isSdkNodeVersionWarning(error)).toBe(true);
    }
  });

  test('passes the same text under another type, and the text anywhere but at the start', () => {
    expect(isSdkNodeVersionWarning(CURRENT, 'DeprecationWarning')).toBe(false);
    expect(isSdkNodeVersionWarning(CURRENT, { type: 'ExperimentalWarning', code: 'X' })).toBe(false);
    expect(isSdkNodeVersionWarning(`Note: ${CURRENT}`)).toBe(false);
    expect(isSdkNodeVersionWarning(new Error(CURRENT))).toBe(false); // name "Error", not "Warning"
    expect(isSdkNodeVersionWarning('NodeVersionSupportWarning: some other library (v3)')).toBe(false);
  });

  test('passes every warning that does not start with the SDK text (generated)', () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.constantFrom('Warning', 'DeprecationWarning', 'ExperimentalWarning', 'MaxListenersExceededWarning'), { nil: undefined }), (text, type) => {
        fc.pre(!/^Node(VersionSupport|Deprecation)Warning: The AWS SDK for JavaScript \(v3\)/.test(text));
        expect(isSdkNodeVersionWarning(text, type)).toBe(false);
      }),
    );
  });
});

describe('installSdkNodeVersionWarningFilter', () => {
  test('drops only the SDK warning and forwards every other call with all its arguments; installing twice wraps once', () => {
    const calls: unknown[][] = [];
    const target = { emitWarning: ((...args: unknown[]) => void calls.push(args)) as typeof process.emitWarning };
    installSdkNodeVersionWarningFilter(target);
    const once = target.emitWarning;
    installSdkNodeVersionWarningFilter(target);
    expect(target.emitWarning).toBe(once);

    target.emitWarning(CURRENT);
    target.emitWarning(EARLIER);
    target.emitWarning('Buffer() is deprecated', 'DeprecationWarning', 'DEP0005');
    target.emitWarning('watch out', { type: 'Warning', code: 'X1', detail: 'more' });
    expect(calls).toEqual([
      ['Buffer() is deprecated', 'DeprecationWarning', 'DEP0005'],
      ['watch out', { type: 'Warning', code: 'X1', detail: 'more' }],
    ]);
  });

  // The SDK's own function, called with a Node.js 20 version so that it warns on any Node.js; its
  // warnings-emitted state is per process, so each case runs in a fresh one.
  const SDK_WARNS = "require('@aws-sdk/core/client').emitWarningIfUnsupportedVersion('v20.19.0');";
  const OTHER_WARNS = "process.emitWarning('a real warning', 'DeprecationWarning', 'DEP0999');";

  test('without the filter the SDK prints its warning (the control case)', () => {
    const stderr = stderrOf(SDK_WARNS + OTHER_WARNS);
    expect(stderr).toContain('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)');
    expect(stderr).toContain('a real warning');
  });

  test('with the filter, in a real process, the SDK warning is gone and a real warning still prints', () => {
    const stderr = stderrOf(`require('./cli/sdk-node-warning.ts').installSdkNodeVersionWarningFilter();${SDK_WARNS}${OTHER_WARNS}`);
    expect(stderr).not.toContain('AWS SDK for JavaScript');
    expect(stderr).toContain('[DEP0999] DeprecationWarning: a real warning');
  });

  test('the ddb-audit entry point installs it before any SDK client loads', () => {
    // A KMS call to a closed local port: the command loads the real KMS client and fails fast.
    const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'ddb-audit.js'), 'evidence', 'verify', ROOT, '--kms-key-id', 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^ddb-audit evidence verify: .+\n$/); // one line, the error
    expect(result.stderr).not.toContain('AWS SDK for JavaScript');
  });
});
