import type { Command } from 'commander';
import type { User } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { formatTime } from '../../output/format.js';
import { writeJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import { showNewToken } from '../token/secret-output.js';

/** Users as a table: name, admin or not, tokens not revoked, when added. */
export function renderUserList(users: readonly User[]): string {
  return renderTable(
    [{ header: 'NAME', flex: true }, { header: 'ADMIN' }, { header: 'TOKENS', align: 'right' }, { header: 'ADDED' }],
    users.map((user) => [user.name, user.admin ? 'yes' : 'no', String(user.activeTokens), formatTime(user.createdAt)]),
  );
}

export function registerUserCommands(program: Command, context: CliContext): void {
  const user = program.command('user').summary('add and list API users (admin)');
  user
    .command('add')
    .summary('add a user and print their first API token, once')
    .argument('<name>', 'user name: a-z first, then a-z, 0-9, "_" or "-", at most 32')
    .option('--admin', 'the user may see and control everything, and manage users')
    .option('--token-file <file>', 'write the token to this new file (mode 0600) instead of printing it')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (name: string, options: { admin?: boolean; json?: boolean; tokenFile?: string }) => {
        const answer = await context.client().call('createUser', { body: { name, admin: options.admin === true } });
        showNewToken(context, answer, options);
        return 0;
      }),
    );
  user
    .command('list')
    .alias('ls')
    .summary('list users')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (options: { json?: boolean }) => {
        const answer = await context.client().call('listUsers');
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else context.io.stdout.write(renderUserList(answer.users));
        return 0;
      }),
    );
}
