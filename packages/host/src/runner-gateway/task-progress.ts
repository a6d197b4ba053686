import type { FastifyBaseLogger } from 'fastify';
import type { TaskProgressFrame } from '@kawa/protocol';
import type { TaskRepo } from '../store/task-repo.js';

/**
 * Applies a runner's `task-progress`: the task shows it as `syncProgress` while it is
 * `syncing`. Frames for tasks in any other state (a late frame after `running`, say) or on
 * another node are dropped; they are routine races, so they are logged at debug only.
 */
export function applyTaskProgress(
  node: string,
  frame: TaskProgressFrame,
  tasks: TaskRepo,
  log: FastifyBaseLogger,
): void {
  if (!tasks.setSyncProgress(frame.taskId, node, frame.progress)) {
    log.debug({ node, taskId: frame.taskId }, 'task-progress for a task not syncing on this node; ignored');
  }
}
