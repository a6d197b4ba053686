import type { Command } from 'commander';
import type { CliContext } from '../../../context.js';
import { registerContainerControl } from './control.js';
import { registerContainerCreate } from './create.js';
import { registerContainerList } from './list.js';
import { registerContainerShell } from './shell.js';

export function registerContainerCommands(docker: Command, context: CliContext): void {
  const container = docker.command('container').summary('the host containers (kawa-env-NAME) envs are prepared in');
  registerContainerList(container, context);
  registerContainerCreate(container, context);
  registerContainerControl(container, context, 'start');
  registerContainerControl(container, context, 'stop');
  registerContainerControl(container, context, 'delete');
  registerContainerShell(container, context);
}
