import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { registerDrain } from './drain.js';
import { registerNodeHealth } from './health.js';
import { registerNodeList } from './list.js';

export function registerNodeCommands(program: Command, context: CliContext): void {
  const node = program.command('node').summary('list nodes and their health; drain and undrain them');
  registerNodeList(node, context);
  registerNodeHealth(node, context);
  registerDrain(node, context, 'drain');
  registerDrain(node, context, 'undrain');
}
