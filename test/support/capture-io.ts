/** A CommandIo that records what a command prints, for running commands in-process. */
import type { CommandIo } from '../../bin/commands/io';

export interface CapturedIo extends CommandIo {
  readonly out: string[];
  readonly err: string[];
}

export function captureIo(options: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    readStdin: async () => options.stdin ?? '',
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
  };
}
