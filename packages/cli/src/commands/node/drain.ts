import type { Command } from 'commander';
import { NodeNameParamsSchema, parseOrThrow, type Node } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { checkLocally } from '../../errors.js';
import { writeLine } from '../../io.js';
import { writeJson } from '../../output/json.js';

const actions = {
  drain: {
    route: 'drainNode',
    summary: 'stop new placements on a node; the tasks it runs finish (admin)',
    done: (node: Node) =>
      `node ${node.name} drained: it takes no new tasks; ${describeHeld(node)} ` +
      `(undo with kawa node undrain ${node.name})`,
  },
  undrain: {
    route: 'undrainNode',
    summary: 'let a drained node take new tasks again (admin)',
    done: (node: Node) => `node ${node.name} undrained: it takes new tasks again`,
  },
} as const;

function describeHeld(node: Node): string {
  const count = node.allocated.tasks;
  if (count === 0) return 'it runs no task now';
  return `the ${count} task${count === 1 ? '' : 's'} it holds finish${count === 1 ? 'es' : ''}`;
}

/** drain / undrain NAME: one admin request each; prints what the node does now, or --json the node. */
export function registerDrain(node: Command, context: CliContext, action: keyof typeof actions): void {
  const { route, summary, done } = actions[action];
  node
    .command(action)
    .summary(summary)
    .argument('<name>', 'the node, as kawa node list names it')
    .option('--json', 'print the node as JSON')
    .action(
      context.run(async (name: string, options: { json?: boolean }) => {
        const params = checkLocally(() => parseOrThrow(NodeNameParamsSchema, { name }, 'node name'));
        const answer = await context.client().call(route, { params });
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, answer);
        else writeLine(context.io.stdout, done(answer));
        return 0;
      }),
    );
}
