import { canTransition, holdingStatuses, type Task, type TaskStatus } from '@kawa/protocol';
import type { Clock } from '../clock.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { TaskRepo } from '../store/task-repo.js';

/** Called after every committed state change, with the state the task left. */
export type TaskChangeListener = (task: Task, from: TaskStatus) => void;

export interface TransitionOptions {
  reason: string | null;
  exitCode?: number | null;
  placement?: { node: string; numa: number | null; gpus: number[] };
}

/**
 * The one way a task changes state. It checks the state machine, writes the change and its
 * event in one transaction, keeps node allocations in step and tells listeners (the scheduler,
 * waiters) once the change is stored.
 */
export class TaskLifecycle {
  private readonly listeners: TaskChangeListener[] = [];

  constructor(
    private readonly tasks: TaskRepo,
    private readonly nodes: NodeRegistry,
    private readonly clock: Clock,
  ) {}

  onChange(listener: TaskChangeListener): void {
    this.listeners.push(listener);
  }

  /** Records an event in the task's history that leaves its state as it is. */
  note(task: Task, message: string): void {
    this.tasks.note(task.id, this.clock.now(), task.status, message);
  }

  /**
   * Moves `task` to `to`. Returns the stored task, or null when the transition is not allowed
   * or the task already left the state `task` shows (someone else changed it first).
   */
  transition(task: Task, to: TaskStatus, options: TransitionOptions): Task | null {
    if (!canTransition(task.status, to)) return null;
    const updated = this.tasks.changeStatus(task.id, {
      from: task.status,
      to,
      at: this.clock.now(),
      reason: options.reason,
      exitCode: options.exitCode ?? null,
      ...(options.placement ? { placement: options.placement } : {}),
    });
    if (!updated) return null;
    const wasHolding = holdingStatuses.has(task.status);
    const isHolding = holdingStatuses.has(updated.status);
    if (wasHolding && !isHolding) this.nodes.release(task);
    if (!wasHolding && isHolding) this.nodes.hold(updated);
    for (const listener of this.listeners) listener(updated, task.status);
    return updated;
  }
}
