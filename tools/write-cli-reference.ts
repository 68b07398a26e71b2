/** Rewrites the command reference in docs/cli.md from the CLI's definition (cli/program/reference-doc.ts). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../bin/program';
import { CommandContext } from '../cli/program/run-program';
import { processIo } from '../cli/program/command-io';
import { renderReference, withReference } from '../cli/program/reference-doc';

const page = join(__dirname, '..', 'docs', 'cli.md');
const program = buildProgram(new CommandContext(processIo(), {}, true));
writeFileSync(page, withReference(readFileSync(page, 'utf8'), renderReference(program)));
process.stdout.write(`wrote the command reference of ${page}\n`);
