import type { Command } from 'commander';
import { validateRouteInput } from '@kawa/client';
import { envContainerName } from '@kawa/protocol';
import type { CliContext } from '../../../context.js';
import { checkLocally } from '../../../errors.js';
import { writeLine } from '../../../io.js';
import { writeJson } from '../../../output/json.js';
import { aboutEnv } from '../hints.js';

export function registerContainerCreate(container: Command, context: CliContext): void {
  container
    .command('create')
    .summary('create and start a host container kawa-env-NAME from a local image')
    .description(
      'Create the host container kawa-env-NAME from IMAGE and start it. The image must already ' +
        'be in the host’s Docker Engine (Kawa never pulls for envs: docker pull or docker import it).',
    )
    .argument('<image>', 'a local image, for example debian:12')
    .argument('<name>', 'the env name: lowercase letters, digits, "_", "." and "-"')
    .option('--json', 'print the created container as JSON')
    .action(
      context.run(async (image: string, name: string, options: { json?: boolean }) => {
        const body = { image, name };
        checkLocally(() => validateRouteInput('createHostContainer', { body }));
        const created = await aboutEnv(name, () => context.client().call('createHostContainer', { body }));
        if (context.wantsJson(options.json)) {
          writeJson(context.io.stdout, created);
          return 0;
        }
        writeLine(
          context.io.stdout,
          `created container ${created.name} (${envContainerName(created.name)}) from ${created.image}: ${created.state}`,
        );
        if (context.fancy)
          writeLine(
            context.io.stderr,
            `next: kawa docker container shell ${created.name}, then kawa docker tar create ${created.name}`,
          );
        return 0;
      }),
    );
}
