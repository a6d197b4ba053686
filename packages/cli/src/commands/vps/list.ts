import type { Command } from 'commander';
import type { Task } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { palette, statusColour } from '../../output/colour.js';
import { formatAge, formatMemoryOrNone, formatPlacement } from '../../output/format.js';
import { writeJson } from '../../output/json.js';
import { renderTable, truncate, type Column } from '../../output/table.js';
import { formatVpsCores } from './format.js';

const columns: Column[] = [
  { header: 'ID', align: 'right' },
  { header: 'STATUS' },
  { header: 'NODE' },
  { header: 'ENV/IMAGE' },
  { header: 'CORES', align: 'right' },
  { header: 'MEM', align: 'right' },
  { header: 'AGE', align: 'right' },
  { header: 'SSH', flex: true },
];
const STATUS_COLUMN = 1;
/** An env or image name longer than this is cut, so the ssh command keeps its room. */
const ENV_MAX_WIDTH = 24;

function row(task: Task, now: number): string[] {
  return [
    String(task.id),
    task.status,
    formatPlacement(task),
    truncate(task.image ?? task.container ?? '-', ENV_MAX_WIDTH),
    formatVpsCores(task.cores),
    formatMemoryOrNone(task.memoryBytes),
    formatAge(task.submittedAt, now),
    `kawa ssh ${task.id}`,
  ];
}

export function renderVpsList(vps: readonly Task[], colour: boolean, now = Date.now()): string {
  if (vps.length === 0) return 'no VPS: start one with kawa vps create\n';
  const paint = palette(colour);
  return renderTable(
    columns,
    vps.map((task) => row(task, now)),
    {
      paint: (cell, rowIndex, column) => {
        const status = vps[rowIndex]?.status;
        const name = column === STATUS_COLUMN && status ? statusColour(status) : null;
        return name ? paint[name](cell) : cell;
      },
    },
  );
}

export function registerVpsList(vps: Command, context: CliContext): void {
  vps
    .command('list')
    .alias('ls')
    .summary('list your VPSes that have not ended (running, paused, stopped, on their way)')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (options: { json?: boolean }) => {
        const answer = await context.client().call('listVps');
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else context.io.stdout.write(renderVpsList(answer.vps, context.fancy));
        return 0;
      }),
    );
}
