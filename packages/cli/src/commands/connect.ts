import type { Command } from 'commander';
import { terminalQuery } from '@kawa/client';
import type { CliContext } from '../context.js';
import { checkLocally } from '../errors.js';
import { parseVpsId } from './ssh/vps-alias.js';
import { runTerminalSession } from '../terminal/session.js';
import { processTerminal } from '../terminal/terminal-io.js';

export function registerConnect(program: Command, context: CliContext): void {
  program
    .command('connect')
    .summary('open a terminal (or run a command) in a running task or VPS')
    .description(
      'Opens a terminal in the container of a running Docker task or VPS through docker exec on ' +
        'its node, relayed by the host, as `docker exec -it` does: keys (Ctrl-C too) go to the ' +
        'container, the window size follows yours, and `exit` brings you back. Without a command ' +
        'it starts bash, else sh. stdin may also be a pipe. The exit code is the command’s.',
    )
    .usage('[options] <id> [-- CMD [ARGS...]]')
    .argument('<id>', 'the task or VPS id (42, or kawa-42)')
    .argument('[command...]', 'a command to run instead of the shell, after --')
    .addHelpText(
      'after',
      '\nExamples:\n' + '  kawa connect 42\n' + '  kawa connect 42 -- nvidia-smi\n' + '  kawa connect 42 -- top',
    )
    .action(
      context.run(async (idText: string, command: string[]) => {
        const id = parseVpsId(idText);
        const terminal = context.io.terminal ?? processTerminal();
        const client = context.client();
        const size = terminal.size();
        const target = checkLocally(() =>
          client.socket('taskTerminal', {
            params: { id },
            query: terminalQuery({ ...size, ...(command.length > 0 ? { command } : {}) }),
          }),
        );
        return runTerminalSession({ target, baseUrl: client.baseUrl, terminal, stdout: context.io.stdout });
      }),
    );
}
