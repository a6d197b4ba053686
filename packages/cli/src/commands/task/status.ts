import type { Command } from 'commander';
import { formatTarget, type Task } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { palette, statusColour } from '../../output/colour.js';
import {
  formatAge,
  formatCommand,
  formatCores,
  formatDuration,
  formatMemoryOrNone,
  formatTime,
} from '../../output/format.js';
import { writeJson } from '../../output/json.js';
import { clean } from '../../output/table.js';
import { parseTaskIds } from '../../parse.js';
import { describeSync } from './sync.js';

function formatMount(mount: Task['mounts'][number]): string {
  return `${mount.source}:${mount.target}${mount.readOnly ? ':ro' : ''}`;
}

/** "2 of 4 (requeued when lost or failed)", or "1 (no retries)". */
function describeAttempt(task: Task): string {
  if (task.retry === 0) return `${task.attempt} (no retries)`;
  return `${task.attempt} of ${task.retry + 1} (requeued when lost${task.retryOnFail ? ' or failed' : ''})`;
}

/** How the task's GPUs are chosen: a count the scheduler fills, ids from the target, or none. */
export function describeGpus(task: Task): string {
  if (task.gpuCount > 0) {
    const placed = task.gpus.length > 0 ? `: ${task.gpus.join(',')}` : '';
    return `${task.gpuCount}, any free (picked by the scheduler${placed})`;
  }
  if (task.target !== null && task.target.gpus.length > 0) return `${task.target.gpus.join(',')} (from the target)`;
  return 'none';
}

function describeNuma(task: Task): string {
  if (task.numaAuto) return `auto (picked by the scheduler${task.numa === null ? '' : `: zone ${task.numa}`})`;
  if (task.target !== null && task.target.numa !== null) return `zone ${task.target.numa} (from the target)`;
  return 'any';
}

/** "2026-01-02 10:00:00 (5m ago)", or "-". */
export function when(at: number | null, now: number): string {
  return at === null ? '-' : `${formatTime(at)} (${formatAge(at, now)} ago)`;
}

/** "node1, NUMA 0, GPU 1,2": where the task was placed, or "-". */
export function describePlacement(task: Task): string {
  if (task.node === null) return '-';
  return [
    task.node,
    task.numa === null ? null : `NUMA ${task.numa}`,
    task.gpus.length === 0 ? null : `GPU ${task.gpus.join(',')}`,
  ]
    .filter((part) => part !== null)
    .join(', ');
}

/**
 * A title line, then `fields` as aligned "key  value" lines. Values are cleaned of control
 * characters, except the status, which may carry colour.
 */
export function renderFields(title: string, fields: readonly [string, string][]): string {
  const width = Math.max(...fields.map(([key]) => key.length));
  const lines = fields.map(([key, value]) => `  ${key.padEnd(width)}  ${key === 'status' ? value : clean(value)}`);
  return `${title}\n${lines.join('\n')}\n`;
}

/** Every field of a task as aligned "key  value" lines. */
export function renderTaskStatus(task: Task, colour: boolean, now = Date.now()): string {
  const paint = palette(colour);
  const statusName = statusColour(task.status);
  const status = statusName ? paint[statusName](task.status) : task.status;
  const placement = describePlacement(task);
  const runtime =
    task.startedAt === null
      ? '-'
      : `${formatDuration((task.endedAt ?? now) - task.startedAt)}${task.endedAt === null ? ' so far' : ''}`;
  const sync = describeSync(task);
  const fields: [string, string][] = [
    ['status', status],
    ...(sync === null ? [] : [['syncing', sync] as [string, string]]),
    ['exit code', task.exitCode === null ? '-' : String(task.exitCode)],
    ['reason', task.reason ?? '-'],
    ['command', formatCommand(task.command)],
    ['node', placement],
    ['target', task.target === null ? 'any (the scheduler picks)' : formatTarget(task.target)],
    ['priority', String(task.priority)],
    ['attempt', describeAttempt(task)],
    ['gpus', describeGpus(task)],
    ['numa', describeNuma(task)],
    [
      'max parallel',
      task.maxParallel === null ? 'no limit' : `${task.maxParallel} tasks of batch ${task.batchId} at once`,
    ],
    task.image === null ? ['env', task.container ?? 'NULL (no Docker)'] : ['image', task.image],
    ['mounts', task.mounts.length === 0 ? '-' : task.mounts.map(formatMount).join(', ')],
    ['privileged', task.privileged ? 'yes' : 'no'],
    ['cores', formatCores(task.cores)],
    ['memory', task.memoryBytes === null ? 'no limit' : formatMemoryOrNone(task.memoryBytes)],
    ['workdir', task.workdir ?? '-'],
    [
      'env',
      Object.keys(task.env).length === 0
        ? '-'
        : Object.entries(task.env)
            .map(([name, value]) => `${name}=${value}`)
            .join(' '),
    ],
    ['network', task.privateNetwork ? 'private' : 'host'],
    ['pid', task.privatePid ? 'private' : 'host'],
    ['owner', task.owner],
    ['submitted', when(task.submittedAt, now)],
    ['started', when(task.startedAt, now)],
    ['ended', when(task.endedAt, now)],
    ['runtime', runtime],
  ];
  return renderFields(`${paint.bold(`task ${task.id}`)} (batch ${task.batchId})`, fields);
}

export function registerStatus(task: Command, context: CliContext): void {
  task
    .command('status')
    .alias('show')
    .summary('show everything about one task')
    .argument('<id>', 'the task id')
    .option('--json', 'print the task as JSON')
    .action(
      context.run(async (idText: string, options: { json?: boolean }) => {
        const [id] = parseTaskIds([idText]);
        const found = await context.client().call('getTask', { params: { id: id ?? 0 } });
        if (context.wantsJson(options.json)) writeJson(context.io.stdout, found);
        else context.io.stdout.write(renderTaskStatus(found, context.fancy));
        return 0;
      }),
    );
}
