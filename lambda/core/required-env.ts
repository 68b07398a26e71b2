/** A required environment variable of a function, read at cold start; a missing one fails with its name. */
export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required but not set`);
  return value;
}

/**
 * A setting too large for the environment (Lambda caps a function's variables at 4 KB in all:
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html), deployed as a file named
 * by `fileVar` (in a Lambda layer built at synth) or, for the local pipeline and tests, given inline
 * in `inlineVar`. Returns its text and where it came from, for the parser's messages; undefined when
 * neither is set (each function decides what that means). Both set is refused, and a file that cannot
 * be read fails with its name: it must never read as "no setting" (redaction would silently lapse).
 */
export function fileOrInlineSetting(
  env: NodeJS.ProcessEnv,
  fileVar: string,
  inlineVar: string,
  readFile: (path: string) => string,
): { readonly text: string; readonly where: string } | undefined {
  const file = env[fileVar];
  const inline = env[inlineVar];
  const has = (value: string | undefined): value is string => value !== undefined && value !== '';
  if (has(file)) {
    if (has(inline)) throw new Error(`environment variables ${inlineVar} and ${fileVar} are both set: set one`);
    try {
      return { text: readFile(file), where: `${fileVar} ${file}` };
    } catch (err) {
      throw new Error(`${fileVar} ${file} cannot be read: ${(err as Error).message}`);
    }
  }
  return has(inline) ? { text: inline, where: inlineVar } : undefined;
}
