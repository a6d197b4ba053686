import { Argument, type Command } from 'commander';
import type { CliContext } from '../../context.js';
import { commandTree } from './command-tree.js';
import { completionScript, completionShells, type CompletionShell } from './scripts.js';

export function registerCompletion(program: Command, context: CliContext): void {
  program
    .command('completion')
    .summary('print a shell completion script: bash, zsh or fish')
    .description(
      'Print a completion script for the commands and flags of this kawa. Load it with ' +
        '`source <(kawa completion bash)` (zsh: the same with zsh, after compinit; fish: `kawa completion fish | source`), ' +
        'or save it where your shell looks for completions.',
    )
    .addArgument(new Argument('<shell>', 'the shell').choices(completionShells))
    .action(
      context.run((shell: CompletionShell) => {
        // The whole program, daemons included: read at run time, after every command is added.
        context.io.stdout.write(completionScript(shell, program.name(), commandTree(program)));
        return 0;
      }),
    );
}
