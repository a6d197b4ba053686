import type { Command } from 'commander';
import { envContainerName } from '@kawa/protocol';
import type { CliContext } from '../../../context.js';
import { writeLine } from '../../../io.js';
import { writeJson } from '../../../output/json.js';
import { parseEnvName } from '../../../parse.js';
import { aboutEnv } from '../hints.js';

const actions = {
  start: { summary: 'start a stopped host container' },
  stop: { summary: 'stop a host container; its files stay' },
  delete: { summary: 'remove a host container; tarballs made from it stay' },
} as const;

export type ContainerAction = keyof typeof actions;

/** What the CLI prints once the host has acted. */
async function act(
  context: CliContext,
  action: ContainerAction,
  name: string,
): Promise<{ answer: unknown; line: string }> {
  const client = context.client();
  const params = { name };
  switch (action) {
    case 'start':
    case 'stop': {
      const answer = await client.call(action === 'start' ? 'startHostContainer' : 'stopHostContainer', { params });
      return { answer, line: `container ${answer.name}: ${answer.state} (${answer.statusText})` };
    }
    case 'delete': {
      const answer = await client.call('deleteHostContainer', { params });
      return {
        answer,
        line: `deleted container ${answer.name} (${envContainerName(answer.name)}); its tarballs stay`,
      };
    }
  }
}

/** `kawa docker container start|stop|delete NAME`. */
export function registerContainerControl(container: Command, context: CliContext, action: ContainerAction): void {
  const command = container.command(action).summary(actions[action].summary).argument('<name>', 'the env name');
  if (action === 'delete') command.alias('rm');
  command.option('--json', 'print the API answer as JSON').action(
    context.run(async (nameText: string, options: { json?: boolean }) => {
      const name = parseEnvName(nameText);
      const { answer, line } = await aboutEnv(name, () => act(context, action, name));
      if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
      else writeLine(context.io.stdout, line);
      return 0;
    }),
  );
}
