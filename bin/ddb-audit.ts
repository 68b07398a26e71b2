/**
 * `ddb-audit`: one entry point, one module per command under bin/commands/.
 * Each command module exports `run(args, io)` and returns its exit status; commands are loaded
 * lazily so that `ddb-audit normalize` does not pay for DuckDB or the AWS SDK.
 */
import type { CommandIo } from './commands/io';
import { processIo } from './commands/io';

interface CommandModule {
  run(args: string[], io: CommandIo): Promise<number>;
}

interface CommandEntry {
  readonly summary: string;
  /** `require`, not `import()`: the CLI runs as CommonJS through tsx, whose CJS hook is what loads .ts. */
  readonly load: () => CommandModule;
}

const COMMANDS: Record<string, CommandEntry> = {
  normalize: { summary: 'normalize [FILE]: print the change records (NDJSON) of a Lambda DynamoDB stream event', load: () => require('./commands/normalize') as CommandModule },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([, c]) => `  ddb-audit ${c.summary}`);
  return `usage:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`ddb-audit: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  return command.load().run(rest, io);
}
