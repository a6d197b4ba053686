import type { Command } from 'commander';
import { formatMemory, NodeNameParamsSchema, parseOrThrow, type Node } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { checkLocally } from '../../errors.js';
import { palette } from '../../output/colour.js';
import { formatAge } from '../../output/format.js';
import { writeJson } from '../../output/json.js';
import { clean } from '../../output/table.js';

function percent(part: number, whole: number): string {
  return whole <= 0 ? '-' : `${((part / whole) * 100).toFixed(0)}%`;
}

/** One node's live usage: CPU, memory, temperatures and each GPU. */
export function renderNodeHealth(node: Node, colour: boolean, now = Date.now()): string {
  const paint = palette(colour);
  const status = node.status === 'online' ? paint.green(node.status) : paint.red(node.status);
  const heartbeat =
    node.lastHeartbeatAt === null ? 'no heartbeat yet' : `heartbeat ${formatAge(node.lastHeartbeatAt, now)} ago`;
  const lines = [`${paint.bold(node.name)}  ${status}  ${heartbeat}  (${node.hostname}, version ${node.version})`];
  const usage = node.usage;
  if (usage === null) {
    lines.push('  no usage reported yet');
    return `${lines.join('\n')}\n`;
  }
  const field = (key: string, value: string): string => `  ${key.padEnd(13)}${clean(value)}`;
  lines.push(field('cpu', `${usage.cpuPercent.toFixed(1)}% of ${node.cores} cores`));
  lines.push(
    field(
      'memory',
      `${formatMemory(usage.memoryUsedBytes)} / ${formatMemory(usage.memoryTotalBytes)} used (${percent(usage.memoryUsedBytes, usage.memoryTotalBytes)})`,
    ),
  );
  lines.push(
    field(
      'temperatures',
      usage.temperatures.length === 0
        ? 'none reported'
        : usage.temperatures.map((item) => `${item.sensor} ${item.celsius.toFixed(0)}°C`).join(', '),
    ),
  );
  if (node.gpus.length === 0 && usage.gpus.length === 0) lines.push(field('gpus', 'none'));
  for (const gpu of usage.gpus) {
    const info = node.gpus.find((candidate) => candidate.index === gpu.index);
    const parts = [
      info?.name ?? 'unknown GPU',
      gpu.utilizationPercent === null ? null : `util ${gpu.utilizationPercent.toFixed(0)}%`,
      gpu.memoryUsedBytes === null
        ? null
        : `mem ${formatMemory(gpu.memoryUsedBytes)}${info?.memoryTotalBytes ? ` / ${formatMemory(info.memoryTotalBytes)}` : ''}`,
      gpu.temperatureCelsius === null ? null : `${gpu.temperatureCelsius.toFixed(0)}°C`,
      node.allocated.gpus.includes(gpu.index) ? 'in use by a task' : null,
    ];
    lines.push(field(`gpu ${gpu.index}`, parts.filter((part) => part !== null).join(', ')));
  }
  return `${lines.join('\n')}\n`;
}

export function registerNodeHealth(node: Command, context: CliContext): void {
  node
    .command('health')
    .summary('show live usage: CPU, memory, temperatures, GPUs')
    .argument('[name]', 'one node; default: all')
    .option('--json', 'print the API answer as JSON')
    .action(
      context.run(async (name: string | undefined, options: { json?: boolean }) => {
        const client = context.client();
        let nodes: Node[];
        if (name === undefined) nodes = (await client.call('listNodes')).nodes;
        else {
          const params = checkLocally(() => parseOrThrow(NodeNameParamsSchema, { name }, 'node name'));
          nodes = [await client.call('getNode', { params })];
        }
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, name === undefined ? { nodes } : nodes[0]);
        else if (nodes.length === 0)
          context.io.stdout.write('no nodes: start a runner with `kawa runner` (or `kawa up` on this machine)\n');
        else context.io.stdout.write(nodes.map((item) => renderNodeHealth(item, context.fancy)).join('\n'));
        return 0;
      }),
    );
}
