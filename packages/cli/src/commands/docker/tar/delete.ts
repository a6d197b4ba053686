import type { Command } from 'commander';
import { validateRouteInput } from '@kawa/client';
import type { CliContext } from '../../../context.js';
import { checkLocally } from '../../../errors.js';
import { writeLine } from '../../../io.js';
import { writeJson } from '../../../output/json.js';
import { parseCount, parseEnvName } from '../../../parse.js';
import { aboutEnv } from '../hints.js';

export function registerTarDelete(tar: Command, context: CliContext): void {
  tar
    .command('delete')
    .alias('rm')
    .summary("delete one tarball version, or all of an env's tarballs")
    .description(
      'Delete tarball VERSION of env NAME (see `kawa docker tar list --all`), or without VERSION ' +
        'every tarball of NAME. Runners that already loaded the env keep their image. (VERSION is ' +
        'an argument, not --version: kawa --version prints the CLI version wherever it stands.)',
    )
    .argument('<name>', 'the env name')
    .argument('[version]', 'only this version: the unix timestamp in the file name')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (nameText: string, versionText: string | undefined, options: { json?: boolean }) => {
        const name = parseEnvName(nameText);
        const query = versionText === undefined ? {} : { version: parseCount(versionText, 'VERSION') };
        checkLocally(() => validateRouteInput('deleteTarball', { params: { name }, query }));
        const answer = await aboutEnv(name, () => context.client().call('deleteTarball', { params: { name }, query }));
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else if (answer.deleted.length === 0) writeLine(context.io.stdout, `${answer.name} had no tarballs to delete`);
        else
          writeLine(
            context.io.stdout,
            `deleted ${answer.name} ${answer.deleted.length === 1 ? 'version' : 'versions'} ${answer.deleted.join(', ')}`,
          );
        return 0;
      }),
    );
}
