/**
 * Keeps exactly one known notice out of the CLI's and the tests' output: the AWS SDK for
 * JavaScript v3's Node.js-version warning. On Node.js 20 every AWS-touching command printed it
 * (9 lines on stderr), from @aws-sdk/core's emitWarningIfUnsupportedVersion:
 *
 *   process.emitWarning(`NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)
 *   versions published after the first week of January 2027
 *   will require node >=22. You are running node v20.…`)
 *
 * (no type, so type "Warning"; no code). Earlier SDKs worded it "NodeDeprecationWarning: The AWS
 * SDK for JavaScript (v3) will no longer support Node.js …". The announcement
 * (https://github.com/aws/aws-sdk-js-v3/issues/7983) names AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
 * as the SDK's own switch; a filter is used instead so that nothing leaks into the environment of
 * the processes the CLI and the tests start, and so the same rule covers both wordings.
 *
 * Every other warning passes through unchanged (a deprecation, an experimental feature, a
 * MaxListenersExceededWarning, …): the filter compares the type and the start of the message,
 * never a loose pattern. The project's supported Node.js versions are stated in package.json
 * `engines` and docs/development.md, which is where a user learns that 20 is on its way out.
 */

/** The two wordings the SDK has used; both start a string warning of type "Warning". */
const SDK_NODE_VERSION_WARNING = /^Node(VersionSupport|Deprecation)Warning: The AWS SDK for JavaScript \(v3\)/;

type EmitWarning = typeof process.emitWarning;

const INSTALLED = Symbol.for('ddb-audit.sdkNodeVersionWarningFilter');

/** The type emitWarning gives a warning called as (warning, typeOrOptions, …): "Warning" unless set. */
function warningType(typeOrOptions: unknown): string {
  if (typeof typeOrOptions === 'string') return typeOrOptions;
  if (typeOrOptions !== null && typeof typeOrOptions === 'object' && typeof (typeOrOptions as { type?: unknown }).type === 'string') return (typeOrOptions as { type: string }).type;
  return 'Warning';
}

/** True only for the AWS SDK's Node.js-version warning, as process.emitWarning receives it. */
export function isSdkNodeVersionWarning(warning: unknown, typeOrOptions?: unknown): boolean {
  if (typeof warning === 'string') return warningType(typeOrOptions) === 'Warning' && SDK_NODE_VERSION_WARNING.test(warning);
  // An Error passed as the warning keeps its own name as the type.
  return warning instanceof Error && warning.name === 'Warning' && SDK_NODE_VERSION_WARNING.test(warning.message);
}

/**
 * Wraps `target.emitWarning` (process by default) so that the SDK's Node.js-version warning is
 * dropped and every other call goes to the original. Installing twice is harmless.
 */
export function installSdkNodeVersionWarningFilter(target: { emitWarning: EmitWarning } = process): void {
  const current = target.emitWarning as EmitWarning & { [INSTALLED]?: true };
  if (current[INSTALLED]) return;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    if (isSdkNodeVersionWarning(warning, rest[0])) return;
    return (current as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as EmitWarning & { [INSTALLED]?: true };
  filtered[INSTALLED] = true;
  target.emitWarning = filtered;
}
