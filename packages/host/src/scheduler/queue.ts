import type { Task } from '@kawa/protocol';
import type { QueuedTask } from './model.js';
import { compareQueueOrder, shapeKey } from './shape.js';

/** A pending task as the scheduler queues it, its shape computed once. */
export function toQueued(task: Task): QueuedTask & { shape: string } {
  const queued: QueuedTask = {
    id: task.id,
    batchId: task.batchId,
    priority: task.priority,
    queuedAt: task.submittedAt,
    cores: task.cores,
    memoryBytes: task.memoryBytes,
    target: task.target,
    gpuCount: task.gpuCount,
    numaAuto: task.numaAuto,
    maxParallel: task.maxParallel,
  };
  return { ...queued, shape: shapeKey(queued) };
}

/**
 * The pending tasks in queue order (priority desc, then id). New submits usually go at the end
 * of the array; a higher priority or a requeued task is put in place by binary search. Removal
 * is lazy: a pass's snapshot drops removed tasks in the one O(n) walk it needs anyway.
 */
export class PendingQueue {
  private readonly byId = new Map<number, QueuedTask & { shape: string }>();
  private ordered: QueuedTask[] = [];
  private removed = 0;

  get size(): number {
    return this.byId.size;
  }

  get(id: number): (QueuedTask & { shape: string }) | undefined {
    return this.byId.get(id);
  }

  add(task: QueuedTask & { shape: string }): void {
    if (this.byId.has(task.id)) return;
    this.byId.set(task.id, task);
    const last = this.ordered.at(-1);
    if (last === undefined || compareQueueOrder(last, task) < 0) {
      this.ordered.push(task);
      return;
    }
    let low = 0;
    let high = this.ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareQueueOrder(this.ordered[middle] as QueuedTask, task) < 0) low = middle + 1;
      else high = middle;
    }
    this.ordered.splice(low, 0, task);
  }

  remove(id: number): boolean {
    if (!this.byId.delete(id)) return false;
    this.removed += 1;
    return true;
  }

  /** The queued tasks in order. The array is shared: the caller must not change it. */
  snapshot(): readonly QueuedTask[] {
    if (this.removed > 0) {
      // A removed task may have come back (requeued), so compare identities, not just ids.
      this.ordered = this.ordered.filter((task) => this.byId.get(task.id) === task);
      this.removed = 0;
    }
    return this.ordered;
  }
}
