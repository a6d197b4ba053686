import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { registerContainerCommands } from './container/index.js';
import { registerTarCommands } from './tar/index.js';

export function registerDockerCommands(program: Command, context: CliContext): void {
  const docker = program
    .command('docker')
    .summary('prepare environments: host containers and the tarballs runners load')
    .description(
      'Prepare Docker environments on the host: create a container (kawa-env-NAME), set it up ' +
        'in a shell, then pack it with `tar create` into a tarball under the shared dir, which ' +
        'every runner loads before running a task with --container NAME.',
    )
    .addHelpText(
      'after',
      '\nExample:\n' +
        '  kawa docker container create debian:12 py\n' +
        '  kawa docker container shell py          # apt-get install …, then exit\n' +
        '  kawa docker tar create py\n' +
        '  kawa task submit --container py --wait -- python3 -V',
    );
  registerContainerCommands(docker, context);
  registerTarCommands(docker, context);
}
