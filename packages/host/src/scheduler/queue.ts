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
 * is lazy: the next snapshot finds the removed tasks by binary search and closes the gaps in
 * one walk from the first of them (placed tasks sit at the head, so that walk is the queue; it
 * moves entries without looking them up, where a splice each or a filter by id cost 10 ms+ on
 * 100k tasks: issue 9).
 */
export class PendingQueue {
  private readonly byId = new Map<number, QueuedTask & { shape: string }>();
  private ordered: QueuedTask[] = [];
  /** Entries removed since the last snapshot (still in `ordered`). */
  private removed: QueuedTask[] = [];

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
    this.ordered.splice(this.lowerBound(task), 0, task);
  }

  remove(id: number): boolean {
    const task = this.byId.get(id);
    if (task === undefined) return false;
    this.byId.delete(id);
    this.removed.push(task);
    return true;
  }

  /** The queued tasks in order. The array is shared: the caller must not change it. */
  snapshot(): readonly QueuedTask[] {
    if (this.removed.length === 0) return this.ordered;
    const found = new Set<number>();
    for (const task of this.removed) {
      // Entries that compare equal (a requeued copy of the same task) sit side by side, so
      // identity, not the id, tells which one was removed.
      for (let index = this.lowerBound(task); index < this.ordered.length; index += 1) {
        const entry = this.ordered[index] as QueuedTask;
        if (entry === task && !found.has(index)) {
          found.add(index);
          break;
        }
        if (compareQueueOrder(entry, task) !== 0) break;
      }
    }
    this.removed = [];
    const gaps = [...found].sort((a, b) => a - b);
    let write = gaps[0] ?? this.ordered.length;
    let gap = 0;
    for (let read = write; read < this.ordered.length; read += 1) {
      if (read === gaps[gap]) {
        gap += 1;
        continue;
      }
      this.ordered[write] = this.ordered[read] as QueuedTask;
      write += 1;
    }
    this.ordered.length = write;
    return this.ordered;
  }

  /** The first index whose entry does not sort before `task`. */
  private lowerBound(task: QueuedTask): number {
    let low = 0;
    let high = this.ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareQueueOrder(this.ordered[middle] as QueuedTask, task) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
