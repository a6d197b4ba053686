import type { Command } from 'commander';
import { formatMemory, type Node } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { palette } from '../../output/colour.js';
import { formatAge, formatCores } from '../../output/format.js';
import { writeJson } from '../../output/json.js';
import { renderTable, type Column } from '../../output/table.js';

const columns: Column[] = [
  { header: 'NAME', flex: true },
  { header: 'STATUS' },
  { header: 'CORES', align: 'right' },
  { header: 'MEM', align: 'right' },
  { header: 'NUMA', align: 'right' },
  { header: 'GPUS', align: 'right' },
  { header: 'CPU%', align: 'right' },
  { header: 'TASKS', align: 'right' },
  { header: 'HEARTBEAT', align: 'right' },
];

/** "online", "offline", or with " (drained)" when the node takes no new tasks. */
function statusOf(node: Node): string {
  return node.drained ? `${node.status} (drained)` : node.status;
}

function row(node: Node, now: number): string[] {
  return [
    node.name,
    statusOf(node),
    `${formatCores(node.allocated.cores)}/${node.cores}`,
    `${formatMemory(node.allocated.memoryBytes)}/${formatMemory(node.memoryBytes)}`,
    String(node.numa.length),
    node.gpus.length === 0 ? '-' : `${node.allocated.gpus.length}/${node.gpus.length}`,
    node.usage === null ? '-' : `${node.usage.cpuPercent.toFixed(0)}%`,
    String(node.allocated.tasks),
    node.lastHeartbeatAt === null ? 'never' : `${formatAge(node.lastHeartbeatAt, now)} ago`,
  ];
}

/**
 * Nodes as a table; CORES, MEM and GPUS are what placed tasks hold out of the node's total. A
 * drained node says so in STATUS.
 */
export function renderNodeList(nodes: readonly Node[], colour: boolean, now = Date.now()): string {
  if (nodes.length === 0) return 'no nodes: start a runner with `kawa runner` (or `kawa up` on this machine)\n';
  const paint = palette(colour);
  return renderTable(
    columns,
    nodes.map((node) => row(node, now)),
    {
      paint: (cell, rowIndex, column) => {
        const shown = nodes[rowIndex];
        if (column !== 1 || !shown) return cell;
        if (shown.status !== 'online') return paint.red(cell);
        return shown.drained ? paint.yellow(cell) : paint.green(cell);
      },
    },
  );
}

export function registerNodeList(node: Command, context: CliContext): void {
  node
    .command('list')
    .alias('ls')
    .summary('list nodes with their resources and usage')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (options: { json?: boolean }) => {
        const answer = await context.client().call('listNodes');
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else context.io.stdout.write(renderNodeList(answer.nodes, context.fancy));
        return 0;
      }),
    );
}
