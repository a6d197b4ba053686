import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QueuedTask } from './model.js';
import { PendingQueue } from './queue.js';
import { compareQueueOrder, shapeKey } from './shape.js';

function queued(id: number, priority: number): QueuedTask & { shape: string } {
  const task: QueuedTask = {
    id,
    batchId: 1,
    priority,
    queuedAt: id,
    cores: 1,
    memoryBytes: null,
    target: null,
    gpuCount: 0,
    numaAuto: false,
    maxParallel: null,
  };
  return { ...task, shape: shapeKey(task) };
}

type Op = { kind: 'add'; id: number; priority: number } | { kind: 'remove'; id: number } | { kind: 'snapshot' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    id: fc.integer({ min: 1, max: 40 }),
    priority: fc.integer({ min: -2, max: 2 }),
  }),
  fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 1, max: 40 }) }),
  fc.constant({ kind: 'snapshot' as const }),
);

/** The queue must always hold exactly the live tasks (the latest copy of each), in queue order. */
function check(ops: Op[]): void {
  const queue = new PendingQueue();
  const live = new Map<number, QueuedTask & { shape: string }>();
  for (const step of ops) {
    if (step.kind === 'add') {
      const task = queued(step.id, step.priority);
      queue.add(task);
      if (!live.has(step.id)) live.set(step.id, task);
    } else if (step.kind === 'remove') {
      expect(queue.remove(step.id)).toBe(live.delete(step.id));
    } else {
      const expected = [...live.values()].sort(compareQueueOrder);
      const snapshot = queue.snapshot();
      expect(snapshot.map((task) => task.id)).toEqual(expected.map((task) => task.id));
      // The very objects that are live, not an earlier copy of a requeued task.
      snapshot.forEach((task, index) => expect(task).toBe(expected[index]));
    }
    expect(queue.size).toBe(live.size);
  }
  const final = queue.snapshot();
  expect(final.map((task) => task.id)).toEqual([...live.values()].sort(compareQueueOrder).map((task) => task.id));
}

describe('PendingQueue', () => {
  it('keeps the live tasks in queue order through adds, removals and requeues', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => check(ops)),
      { numRuns: 300 },
    );
  });

  it('drops a requeued task’s old entry and keeps the new one', () => {
    const queue = new PendingQueue();
    const first = queued(7, 0);
    queue.add(queued(5, 0));
    queue.add(first);
    queue.add(queued(9, 0));
    queue.remove(7);
    const again = queued(7, 0);
    queue.add(again);
    const snapshot = queue.snapshot();
    expect(snapshot.map((task) => task.id)).toEqual([5, 7, 9]);
    expect(snapshot[1]).toBe(again);
  });

  it('drops many removals at once as well as a few', () => {
    const queue = new PendingQueue();
    for (let id = 1; id <= 2000; id += 1) queue.add(queued(id, id % 3));
    for (let id = 1; id <= 2000; id += 2) queue.remove(id);
    const ids = queue.snapshot().map((task) => task.id);
    expect(ids).toHaveLength(1000);
    expect(ids.every((id) => id % 2 === 0)).toBe(true);
    queue.remove(2);
    queue.remove(2000);
    expect(queue.snapshot().map((task) => task.id)).not.toContain(2);
    expect(queue.snapshot()).toHaveLength(998);
  });

  it('drops each removal of one object re-added between snapshots', () => {
    const queue = new PendingQueue();
    const task = queued(1, 0);
    queue.add(task);
    queue.add(queued(2, 0));
    queue.remove(1);
    queue.add(task);
    queue.remove(1);
    expect(queue.snapshot().map((entry) => entry.id)).toEqual([2]);
  });
});
