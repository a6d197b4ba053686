import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { registerControl } from './control.js';
import { registerKill } from './kill.js';
import { registerList } from './list.js';
import { registerLogs } from './logs.js';
import { registerStatus } from './status.js';
import { registerSubmit } from './submit.js';
import { registerWait } from './wait.js';

export function registerTaskCommands(program: Command, context: CliContext): void {
  const task = program.command('task').summary('submit, list, inspect and control command tasks');
  registerSubmit(task, context);
  registerList(task, context);
  registerStatus(task, context);
  registerLogs(task, context);
  registerKill(task, context);
  registerControl(task, context, 'pause');
  registerControl(task, context, 'resume');
  registerWait(task, context);
}
