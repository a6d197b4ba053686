import { canTransition, holdingStatuses, type Task, type TaskStatus } from '@kawa/protocol';
import type { Clock } from '../clock.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { StatusChange, TaskRepo } from '../store/task-repo.js';

/** Called after every committed state change, with the state the task left. */
export type TaskChangeListener = (task: Task, from: TaskStatus) => void;

export interface TransitionOptions {
  reason: string | null;
  exitCode?: number | null;
  placement?: { node: string; numa: number | null; gpus: number[] };
  /** Applies only if the task is placed on this node. */
  onNode?: string;
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
    const updated = this.tasks.changeStatus(task, this.change(task.status, to, options));
    if (!updated) {
      this.placed.delete(task.id);
      return null;
    }
    this.changed(task, updated);
    return updated;
  }

  /**
   * Places a pending task the caller knows only by id (the scheduler's queue keeps what a
   * placement needs, not whole tasks): `pending → assigned`, or null if it is no longer pending.
   */
  assign(taskId: number, placement: { node: string; numa: number | null; gpus: number[] }): Task | null {
    const updated = this.tasks.changeStatusById(taskId, this.change('pending', 'assigned', { reason: null, placement }));
    if (!updated) return null;
    this.changed(null, updated);
    return updated;
  }

  private change(from: TaskStatus, to: TaskStatus, options: TransitionOptions): StatusChange {
    return {
      from,
      to,
      at: this.clock.now(),
      reason: options.reason,
      exitCode: options.exitCode ?? null,
      ...(options.placement ? { placement: options.placement } : {}),
      ...(options.onNode === undefined ? {} : { onNode: options.onNode }),
    };
  }

  /** After a stored change: node allocations, the copy of placed tasks, then the listeners. */
  private changed(before: Task | null, updated: Task): void {
    const from = before?.status ?? 'pending';
    const wasHolding = holdingStatuses.has(from);
    const isHolding = holdingStatuses.has(updated.status);
    if (before && wasHolding && !isHolding) this.nodes.release(before);
    if (!wasHolding && isHolding) this.nodes.hold(updated);
    if (isHolding) this.placed.set(updated.id, updated);
    else this.placed.delete(updated.id);
    for (const listener of this.listeners) listener(updated, from);
  }
}
