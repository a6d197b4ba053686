import type { Command } from 'commander';
import { terminalQuery } from '@kawa/client';
import type { CliContext } from '../../../context.js';
import { checkLocally } from '../../../errors.js';
import { parseEnvName } from '../../../parse.js';
import { runTerminalSession } from '../../../terminal/session.js';
import { processTerminal } from '../../../terminal/terminal-io.js';
import { aboutEnv } from '../hints.js';

export function registerContainerShell(container: Command, context: CliContext): void {
  container
    .command('shell')
    .summary('open an interactive shell (or run a command) in a host container')
    .description(
      'Open a terminal in kawa-env-NAME through docker exec, as `docker exec -it` does: keys ' +
        '(Ctrl-C too) go to the container, and `exit` brings you back. Without a command it ' +
        'starts bash, else sh. stdin may also be a pipe. The exit code is the command’s.',
    )
    .usage('[options] <name> [-- CMD [ARGS...]]')
    .argument('<name>', 'the env name')
    .argument('[command...]', 'a command to run instead of the shell, after --')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  kawa docker container shell py\n' +
        '  kawa docker container shell py -- pip install numpy\n' +
        '  echo "apt-get update && exit" | kawa docker container shell py',
    )
    .action(
      context.run(async (nameText: string, command: string[]) => {
        const name = parseEnvName(nameText);
        const terminal = context.io.terminal ?? processTerminal();
        const client = context.client();
        const size = terminal.size();
        const target = checkLocally(() =>
          client.socket('hostContainerShell', {
            params: { name },
            query: terminalQuery({ ...size, ...(command.length > 0 ? { command } : {}) }),
          }),
        );
        return aboutEnv(name, () =>
          runTerminalSession({ target, baseUrl: client.baseUrl, terminal, stdout: context.io.stdout }),
        );
      }),
    );
}
