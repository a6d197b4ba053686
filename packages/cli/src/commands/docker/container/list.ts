import type { Command } from 'commander';
import type { HostContainer } from '@kawa/protocol';
import type { CliContext } from '../../../context.js';
import { palette, type ColourName } from '../../../output/colour.js';
import { formatAge } from '../../../output/format.js';
import { writeJson } from '../../../output/json.js';
import { renderTable, type Column } from '../../../output/table.js';

const columns: Column[] = [
  { header: 'NAME' },
  { header: 'IMAGE', flex: true },
  { header: 'STATE' },
  { header: 'STATUS' },
  { header: 'CREATED', align: 'right' },
];

function stateColour(state: HostContainer['state']): ColourName {
  switch (state) {
    case 'running':
      return 'green';
    case 'exited':
    case 'dead':
      return 'red';
    case 'created':
    case 'paused':
    case 'restarting':
    case 'removing':
      return 'yellow';
  }
}

/** Host containers as a table: env name, image, Docker's state and status, age. */
export function renderContainerList(containers: readonly HostContainer[], colour: boolean, now = Date.now()): string {
  if (containers.length === 0) return 'no host containers: create one with `kawa docker container create IMAGE NAME`\n';
  const paint = palette(colour);
  return renderTable(
    columns,
    containers.map((container) => [
      container.name,
      container.image,
      container.state,
      container.statusText,
      `${formatAge(container.createdAt, now)} ago`,
    ]),
    {
      paint: (cell, row, column) => {
        const state = containers[row]?.state;
        return column === 2 && state ? paint[stateColour(state)](cell) : cell;
      },
    },
  );
}

export function registerContainerList(container: Command, context: CliContext): void {
  container
    .command('list')
    .alias('ls')
    .summary('list the host containers')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (options: { json?: boolean }) => {
        const answer = await context.client().call('listHostContainers');
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else context.io.stdout.write(renderContainerList(answer.containers, context.fancy));
        return 0;
      }),
    );
}
