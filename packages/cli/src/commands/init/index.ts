import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { registerInitConfig } from './config.js';

export function registerInitCommands(program: Command, context: CliContext): void {
  const init = program.command('init').summary('write config files');
  registerInitConfig(init, context, program);
}
