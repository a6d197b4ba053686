import { formatTarget } from '@kawa/protocol';
import type { QueuedTask } from './model.js';

/**
 * Tasks of one shape ask for exactly the same thing. Within a pass, free resources only shrink,
 * so once the first task of a shape does not fit, none of the later ones can: the pass skips
 * them in O(1), and they all share one wait reason. A batch with --max-parallel is part of the
 * shape, because its limit blocks the whole batch at once.
 */
export function shapeKey(task: QueuedTask): string {
  const target = task.target === null ? '*' : formatTarget(task.target);
  const batch = task.maxParallel === null ? '' : `|b${task.batchId}/${task.maxParallel}`;
  return `${target}|${task.cores}|${task.memoryBytes ?? '-'}|${task.gpuCount}|${task.numaAuto ? 'auto' : '-'}${batch}`;
}

/** Queue order: higher priority first, then submit order (id). */
export function compareQueueOrder(a: QueuedTask, b: QueuedTask): number {
  return b.priority - a.priority || a.id - b.id;
}

/** The queue in queue order: as given when it already is (the usual case), else a sorted copy. */
export function inQueueOrder(queue: readonly QueuedTask[]): readonly QueuedTask[] {
  for (let index = 1; index < queue.length; index += 1) {
    if (compareQueueOrder(queue[index - 1] as QueuedTask, queue[index] as QueuedTask) > 0)
      return [...queue].sort(compareQueueOrder);
  }
  return queue;
}
