import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { registerVpsControl } from './control.js';
import { registerVpsCreate } from './create.js';
import { registerVpsList } from './list.js';
import { registerVpsStatus } from './status.js';

export function registerVpsCommands(program: Command, context: CliContext): void {
  const vps = program.command('vps').summary('persistent containers with sshd you reach with kawa ssh');
  registerVpsCreate(vps, context);
  registerVpsList(vps, context);
  registerVpsStatus(vps, context);
  registerVpsControl(vps, context, 'stop');
  registerVpsControl(vps, context, 'restart');
  registerVpsControl(vps, context, 'pause');
  registerVpsControl(vps, context, 'resume');
  registerVpsControl(vps, context, 'kill');
}
