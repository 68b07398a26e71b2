/** `ddb-audit completion bash|zsh`: prints a completion script generated from the CLI's definition (cli/program/completion.ts). */
import { Argument, Command } from 'commander';
import { COMPLETION_SHELLS, completionScript, CompletionShell } from '../../cli/program/completion';
import { withExamples } from '../../cli/program/definition';
import type { CliContext } from '../program';

/** `program` builds the whole definition again (parse-only), so the script lists every command, this one included. */
export function defineCompletion(context: CliContext, program: () => Command): Command {
  const command = new Command('completion')
    .summary('print a shell completion script (bash or zsh)')
    .description('Print a completion script for bash or zsh, generated from this CLI\'s own definition. Load it in the current shell, or save it where your shell loads completions.')
    .addArgument(new Argument('<shell>', 'the shell').choices([...COMPLETION_SHELLS]));
  withExamples(command, ['source <(npx ddb-audit completion bash)', 'npx ddb-audit completion zsh > ~/.zfunc/_ddb-audit']);
  return command.action(
    context.action((shell: CompletionShell) => {
      context.io.stdout(completionScript(program(), shell));
      return 0;
    }),
  );
}
