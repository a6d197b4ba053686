import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { registerInitConfig } from './config.js';
import { registerInitService } from './service.js';

export function registerInitCommands(program: Command, context: CliContext): void {
  const init = program.command('init').summary('write config files and systemd units');
  registerInitConfig(init, context, program);
  registerInitService(init, context, program);
}
