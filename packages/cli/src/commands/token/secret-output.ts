import { writeFileSync } from 'node:fs';
import { KawaError, type NewTokenResponse } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { writeJson } from '../../output/json.js';

/**
 * Shows a new token once, or writes it to `tokenFile` (mode 0600, never over an existing file)
 * and prints only where it went. The host keeps only its hash: this is the one chance to save it.
 */
export function showNewToken(
  context: CliContext,
  answer: NewTokenResponse,
  options: { json?: boolean; tokenFile?: string },
): void {
  const { stdout } = context.io;
  if (options.tokenFile !== undefined) {
    try {
      writeFileSync(options.tokenFile, `${answer.secret}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' ? 'it already exists' : (error as Error).message;
      throw new KawaError(
        'KAWA_ERR_USAGE',
        `cannot write the token of ${answer.user.name} to ${options.tokenFile}: ${why}; revoke token ${answer.token.id} (kawa token revoke ${answer.token.id}) and make another`,
        { cause: error },
      );
    }
  }
  if (context.wantsJson(options.json)) {
    const { user, token } = answer;
    writeJson(stdout, options.tokenFile === undefined ? answer : { user, token, tokenFile: options.tokenFile });
    return;
  }
  stdout.write(`token ${answer.token.id} of ${answer.user.name}${answer.user.admin ? ' (admin)' : ''}\n`);
  if (options.tokenFile !== undefined) {
    stdout.write(`written to ${options.tokenFile} (mode 0600); set [client] token_file to it\n`);
    return;
  }
  stdout.write(`${answer.secret}\n`);
  stdout.write('shown only now: the host keeps just its hash. Give it to the user for [client] token\n');
}
