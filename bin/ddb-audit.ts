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
  query: { summary: 'query NAME [--param k=v ...] [--data DIR] [--format table|csv|json] [--athena --workgroup WG]: run a bundled query (--list shows them)', load: () => require('./commands/query') as CommandModule },
  demo: { summary: 'demo [--data DIR] [--changes N]: run the whole pipeline locally on a generated workload (npm start)', load: () => require('./commands/demo') as CommandModule },
  sources: { summary: 'sources add --stream-arn ARN [--actor-attribute NAME] [--redact a,b.c] [--key-attributes pk[,sk]] [--kms-key-arn ARN] | list [--json] | validate [--cdk-json PATH]: onboard and check source tables', load: () => require('./commands/sources') as CommandModule },
  evidence: { summary: 'evidence export|verify|keygen: signed evidence packages of a bundled query, and their verification', load: () => require('./commands/evidence') as CommandModule },
  log: { summary: 'log digest|verify: hourly signed digests of the change log, and verification of the chain and every object', load: () => require('./commands/log') as CommandModule },
  doctor: { summary: 'doctor [--config cdk.json] [--region R] [--profile P] [--stack-outputs FILE] [--json]: read-only check of a deployed installation, one PASS/WARN/FAIL line per check (docs/operations.md)', load: () => require('./commands/doctor') as CommandModule },
  catalog: { summary: 'catalog sync [--bucket B] [--stack-outputs FILE | --from-stack] [--since YYYY-MM-DD] [--dry-run] [--json]: register in Glue every change-log partition S3 holds and Glue lacks (docs/queries.md)', load: () => require('./commands/catalog') as CommandModule },
  replay: { summary: 'replay --from FILE_OR_S3_URI [--dry-run] [--stack-outputs FILE | --from-stack] [--delivery-stream NAME] [--cdk-json PATH | --no-config] [--packing ndjson|single] [--overflow-bucket B] [--json]: re-deliver batches the event source mapping discarded (its S3 on-failure records)', load: () => require('./commands/replay') as CommandModule },
  item: { summary: 'item restore --account ID --table NAME --key JSON (--event-id ID | --at ISO) [--data DIR | --athena --workgroup WG] [--allow-redacted]: the item as it was, as a PutItem request body, from the log', load: () => require('./commands/item') as CommandModule },
  cost: { summary: 'cost [--changes-per-day N | --changes-per-month N] [--change-bytes N] [--tables N] [--accounts N] [--retention-days N] [--queries-per-day N] [--bytes-scanned-per-query N] [--packing ndjson|single] [--json]: the modelled monthly AWS cost of a deployment, line by line, beside CloudTrail data events', load: () => require('./commands/cost') as CommandModule },
  normalize: { summary: 'normalize [FILE] [--cdk-json PATH | --no-config]: print the change records (NDJSON) of a Lambda DynamoDB stream event', load: () => require('./commands/normalize') as CommandModule },
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
