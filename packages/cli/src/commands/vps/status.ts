import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { formatTarget, type Task } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { palette, statusColour } from '../../output/colour.js';
import { formatMemoryOrNone } from '../../output/format.js';
import { writeJson } from '../../output/json.js';
import { parseTaskIds } from '../../parse.js';
import { generatedKeyPath, sshFiles, vpsAlias } from '../ssh/vps-alias.js';
import { describeSync } from '../task/sync.js';
import { describeGpus, describePlacement, renderFields, when } from '../task/status.js';
import { describePublicKey, formatVpsCores } from './format.js';

/** Every field of a VPS that matters to its user, as aligned "key  value" lines. */
export function renderVpsStatus(task: Task, keyFile: string | null, colour: boolean, now = Date.now()): string {
  const paint = palette(colour);
  const statusName = statusColour(task.status);
  const sync = describeSync(task);
  const fields: [string, string][] = [
    ['status', statusName ? paint[statusName](task.status) : task.status],
    ...(sync === null ? [] : [['syncing', sync] as [string, string]]),
    ['reason', task.reason ?? '-'],
    ['node', describePlacement(task)],
    ['target', task.target === null ? 'any (the scheduler picks)' : formatTarget(task.target)],
    task.image === null ? ['env', task.container ?? '-'] : ['image', task.image],
    ['cores', task.cores === 0 ? '- (no limit)' : formatVpsCores(task.cores)],
    ['memory', task.memoryBytes === null ? '- (no limit)' : formatMemoryOrNone(task.memoryBytes)],
    ['gpus', describeGpus(task)],
    ['key', describePublicKey(task.publicKey)],
    ['key file', keyFile ?? '- (your own key)'],
    ['ssh', `kawa ssh ${task.id}   (or ssh ${vpsAlias(task.id)} with kawa ssh config --write)`],
    ['terminal', `kawa connect ${task.id}`],
    ['owner', task.owner],
    ['created', when(task.submittedAt, now)],
    ['started', when(task.startedAt, now)],
    ['ended', when(task.endedAt, now)],
  ];
  return renderFields(paint.bold(`VPS ${task.id}`), fields);
}

export function registerVpsStatus(vps: Command, context: CliContext): void {
  vps
    .command('status')
    .alias('show')
    .summary('show one VPS: state, placement, limits, key and how to reach it')
    .argument('<id>', 'the VPS id')
    .option('--json', 'print the task as JSON')
    .action(
      context.run(async (idText: string, options: { json?: boolean }) => {
        const [id = 0] = parseTaskIds([idText]);
        const task = await context.client().call('getTask', { params: { id } });
        if (context.wantsJson(options.json)) {
          writeJson(context.io.stdout, task);
          return 0;
        }
        const keyPath = generatedKeyPath(sshFiles(context.io), id);
        context.io.stdout.write(renderVpsStatus(task, existsSync(keyPath) ? keyPath : null, context.fancy));
        return 0;
      }),
    );
}
