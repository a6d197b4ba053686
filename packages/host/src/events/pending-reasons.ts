import type { Task } from '@kawa/protocol';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { TaskRepo } from '../store/task-repo.js';

/** How many pending tasks have their reason watched; the newest ones, which a dashboard shows. */
const MAX_WATCHED = 1000;

/**
 * The scheduler keeps a pending task's reason in memory and changes it on every pass without an
 * event. This remembers the reason last sent for the newest pending tasks, so the sampler can
 * send the tasks whose reason changed.
 */
export class PendingReasons {
  private readonly sent = new Map<number, string | null>();

  /** Starts or stops watching a task, after it was sent with its current state. */
  track(task: Task): void {
    if (task.status !== 'pending') {
      this.sent.delete(task.id);
      return;
    }
    this.sent.set(task.id, task.reason);
    // Ids arrive in rising order, so the first key is the oldest.
    const oldest = this.sent.keys().next().value;
    if (this.sent.size > MAX_WATCHED && oldest !== undefined) this.sent.delete(oldest);
  }

  /** The watched tasks whose reason is not the one last sent, with their live reason. */
  changed(tasks: TaskRepo, scheduler: Scheduler): Task[] {
    const changed: Task[] = [];
    for (const [id, sentReason] of this.sent) {
      const reason = scheduler.pendingReason(id);
      if (reason === null || reason === sentReason) continue;
      const task = tasks.get(id);
      if (!task || task.status !== 'pending') {
        this.sent.delete(id);
        continue;
      }
      this.sent.set(id, reason);
      changed.push({ ...task, reason });
    }
    return changed;
  }
}
