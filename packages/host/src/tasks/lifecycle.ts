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
 *
 * It also keeps the tasks that hold resources (assigned to paused) as its last change left
 * them, so a runner's report needs no read of the row. That copy is only a guess: the change
 * itself applies only if the row is still in the state the copy shows, and a caller that gets
 * null reads the row (a rolled-back transaction can leave the copy ahead of the database).
 */
export class TaskLifecycle {
  private readonly listeners: TaskChangeListener[] = [];
  private readonly placed = new Map<number, Task>();

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

  /** The task as its last change here left it, if it holds resources; may be out of date. */
  placedTask(id: number): Task | undefined {
    return this.placed.get(id);
  }

  /**
   * Moves `task` to `to`. Returns the stored task, or null when the transition is not allowed
   * or the task already left the state `task` shows (someone else changed it first).
   */
  transition(task: Task, to: TaskStatus, options: TransitionOptions): Task | null {
    if (!canTransition(task.status, to)) return null;
    const updated = this.tasks.changeStatus(task, {
      to,
      at: this.clock.now(),
      reason: options.reason,
      exitCode: options.exitCode ?? null,
      ...(options.placement ? { placement: options.placement } : {}),
    });
    if (!updated) {
      this.placed.delete(task.id);
      return null;
    }
    const wasHolding = holdingStatuses.has(task.status);
    const isHolding = holdingStatuses.has(updated.status);
    if (wasHolding && !isHolding) this.nodes.release(task);
    if (!wasHolding && isHolding) this.nodes.hold(updated);
    if (isHolding) this.placed.set(updated.id, updated);
    else this.placed.delete(updated.id);
    for (const listener of this.listeners) listener(updated, task.status);
    return updated;
  }
}
