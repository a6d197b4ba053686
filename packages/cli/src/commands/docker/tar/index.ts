import type { Command } from 'commander';
import type { CliContext } from '../../../context.js';
import { registerTarCreate } from './create.js';
import { registerTarDelete } from './delete.js';
import { registerTarList } from './list.js';

export function registerTarCommands(docker: Command, context: CliContext): void {
  const tar = docker.command('tar').summary('env tarballs under <shared_dir>/containers/NAME/, which runners load');
  registerTarList(tar, context);
  registerTarCreate(tar, context);
  registerTarDelete(tar, context);
}
