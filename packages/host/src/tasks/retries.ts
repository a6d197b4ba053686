import type { FastifyBaseLogger } from 'fastify';
import type { Task, TaskStatus } from '@kawa/protocol';
import type { Clock } from '../clock.js';
import type { TaskRepo } from '../store/task-repo.js';

/** Whether a task that just reached `task.status` gets another attempt. */
function wantsRetry(task: Task): boolean {
  if (task.attempt > task.retry) return false;
  return task.status === 'lost' || (task.status === 'failed' && task.retryOnFail);
}

function retryReason(task: Task): string {
  const ended = task.reason === null ? task.status : `${task.status}: ${task.reason}`;
  return `attempt ${task.attempt + 1} of ${task.retry + 1}, retrying task ${task.id} (${ended})`;
}

/**
 * `--retry N`: a task that ends `lost` (or `failed`, with `--retry-on-fail`) while it has
 * attempts left is requeued as a new pending task in the same batch, the next attempt, linked
 * to this one. The ended task keeps its final state, its logs and its events (DESIGN.md: a
 * final state never changes), and gets an event naming its retry.
 */
export class Retries {
  constructor(
    private readonly tasks: TaskRepo,
    private readonly clock: Clock,
    private readonly enqueue: (task: Task) => void,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** A lifecycle listener: called after every committed state change. */
  onChange(task: Task, from: TaskStatus): void {
    // lost → running (a runner came back) and back to lost again is still the same attempt.
    if (from === task.status || !wantsRetry(task) || this.tasks.retryOf(task.id) !== null) return;
    const retry = this.tasks.insertRetry(task, this.clock.now(), retryReason(task));
    this.log.info({ taskId: task.id, retryId: retry.id, attempt: retry.attempt }, 'requeued an ended task');
    this.enqueue(retry);
  }
}
