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
 * Above this many removals since the last snapshot, one O(n) filter drops them all; below it,
 * each is found by binary search and spliced out, so a pass that placed a few tasks does not
 * walk a queue of 100k (issue 9: that walk was half of a full pass's time).
 */
const SPLICE_LIMIT = 256;

/**
 * The pending tasks in queue order (priority desc, then id). New submits usually go at the end
 * of the array; a higher priority or a requeued task is put in place by binary search. Removal
 * is lazy: the next snapshot drops removed tasks, by binary search when they are few, else in
 * one O(n) walk.
 */
export class PendingQueue {
  private readonly byId = new Map<number, QueuedTask & { shape: string }>();
  private ordered: QueuedTask[] = [];
  /** Entries removed since the last snapshot (still in `ordered`), or null past SPLICE_LIMIT. */
  private removed: QueuedTask[] | null = [];

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
    if (this.removed !== null) {
      this.removed.push(task);
      if (this.removed.length > SPLICE_LIMIT) this.removed = null;
    }
    return true;
  }

  /** The queued tasks in order. The array is shared: the caller must not change it. */
  snapshot(): readonly QueuedTask[] {
    if (this.removed === null) {
      // A removed task may have come back (requeued), so compare identities, not just ids.
      this.ordered = this.ordered.filter((task) => this.byId.get(task.id) === task);
    } else {
      for (const task of this.removed) {
        // Entries that compare equal (a requeued copy of the same task) sit side by side.
        for (let index = this.lowerBound(task); index < this.ordered.length; index += 1) {
          const entry = this.ordered[index] as QueuedTask;
          if (entry === task) {
            this.ordered.splice(index, 1);
            break;
          }
          if (compareQueueOrder(entry, task) !== 0) break;
        }
      }
    }
    this.removed = [];
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
