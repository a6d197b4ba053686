import type { FastifyBaseLogger } from 'fastify';
import type { TaskEventFrame } from '@kawa/protocol';
import type { TaskRepo } from '../store/task-repo.js';
import type { TaskLifecycle } from '../tasks/lifecycle.js';

/**
 * Applies a runner's `task-event`. Reports about tasks on other nodes, repeats and impossible
 * transitions are ignored (and logged): a runner can only move its own tasks along the state
 * machine.
 */
export function applyTaskReport(
  node: string,
  frame: TaskEventFrame,
  tasks: TaskRepo,
  lifecycle: TaskLifecycle,
  log: FastifyBaseLogger,
): void {
  const reason = frame.message ?? frame.errorCode;
  const options = { reason, exitCode: frame.exitCode };
  // The usual report moves a placed task on: the lifecycle's copy of it spares reading the row.
  // The change applies only if the row still matches the copy, so a stale copy means a read below.
  const placed = lifecycle.placedTask(frame.taskId);
  if (placed?.node === node && placed.status !== frame.status && lifecycle.transition(placed, frame.status, options))
    return;
  const task = tasks.get(frame.taskId);
  if (!task || task.node !== node) {
    log.warn({ node, taskId: frame.taskId }, 'task-event for a task not placed on this node; ignored');
    return;
  }
  if (task.status === frame.status) return;
  const updated = lifecycle.transition(task, frame.status, options);
  if (!updated) {
    log.info({ node, taskId: task.id, from: task.status, to: frame.status }, 'ignored an impossible task transition');
  }
}
