/** What a command may touch of its process: injected so tests run commands in-process. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads all of standard input (only called when a command reads stdin). */
  readStdin(): Promise<string>;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** True when standard output is a terminal (colors and a width-aware table); absent means a pipe. */
  readonly stdoutIsTTY?: boolean;
  /** The terminal's width in columns, when standard output is a terminal. */
  readonly columns?: number;
  /** Whether standard error is a terminal (progress lines are drawn only there). @default false */
  readonly stderrIsTTY?: boolean;
}

export function processIo(): CommandIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    cwd: process.cwd(),
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    stderrIsTTY: process.stderr.isTTY === true,
  };
}

/** A failure the user caused (bad arguments, bad input): printed as one line, exit status 2 (cli/program/exit-codes.ts). */
export class UsageError extends Error {
  override name = 'UsageError';
}
