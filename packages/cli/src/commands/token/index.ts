import type { Command } from 'commander';
import type { ApiToken } from '@kawa/protocol';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../../context.js';
import { formatTime } from '../../output/format.js';
import { writeJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import { showNewToken } from './secret-output.js';

/** Tokens by id and prefix; the token itself is never shown again. */
export function renderTokenList(tokens: readonly ApiToken[]): string {
  if (tokens.length === 0) return 'no API tokens\n';
  return renderTable(
    [
      { header: 'ID', align: 'right' },
      { header: 'USER' },
      { header: 'PREFIX', flex: true },
      { header: 'CREATED' },
      { header: 'REVOKED' },
    ],
    tokens.map((token) => [
      String(token.id),
      token.user,
      token.prefix === '' ? '-' : `${token.prefix}…`,
      formatTime(token.createdAt),
      token.revokedAt === null ? '-' : formatTime(token.revokedAt),
    ]),
  );
}

function tokenId(text: string): number {
  const id = Number(text);
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(id))
    throw new UsageError('KAWA_ERR_USAGE', `"${text}" is not a token id; kawa token list shows them`);
  return id;
}

export function registerTokenCommands(program: Command, context: CliContext): void {
  const token = program.command('token').summary('make, list and revoke API tokens (admin)');
  token
    .command('create')
    .summary('make another API token for a user and print it, once')
    .requiredOption('--user <name>', 'whose token')
    .option('--token-file <file>', 'write the token to this new file (mode 0600) instead of printing it')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (options: { user: string; json?: boolean; tokenFile?: string }) => {
        const answer = await context.client().call('createToken', { params: { name: options.user } });
        showNewToken(context, answer, options);
        return 0;
      }),
    );
  token
    .command('list')
    .alias('ls')
    .summary('list API tokens by id and prefix, revoked ones too')
    .option('--user <name>', 'only this user’s tokens')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (options: { user?: string; json?: boolean }) => {
        const answer = await context.client().call('listTokens', { query: { user: options.user } });
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else context.io.stdout.write(renderTokenList(answer.tokens));
        return 0;
      }),
    );
  token
    .command('revoke')
    .summary('revoke an API token: refused from now on, its open streams closed')
    .argument('<id>', 'the token id from kawa token list')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (id: string, options: { json?: boolean }) => {
        const answer = await context.client().call('revokeToken', { params: { id: tokenId(id) } });
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else context.io.stdout.write(`revoked token ${answer.id} of ${answer.user}\n`);
        return 0;
      }),
    );
}
