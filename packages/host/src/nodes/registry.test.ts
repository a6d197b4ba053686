import { describe, expect, it } from 'vitest';
import { holdingStatuses, taskStatuses, type Task, type TaskStatus } from '@kawa/protocol';
import { schedule } from '../scheduler/schedule.js';
import { newTask } from '../testing/new-task.js';
import { defaultPolicy, queued, resources } from '../testing/scheduler-input.js';
import { NodeRegistry } from './registry.js';

function placedTask(id: number, status: TaskStatus): Task {
  return {
    ...newTask({ cores: 2 }),
    id,
    batchId: 1,
    node: 'n',
    numa: null,
    gpus: [],
    attempt: 1,
    status,
    reason: null,
    exitCode: null,
    syncProgress: null,
    submittedAt: 0,
    startedAt: null,
    endedAt: null,
  };
}

/** Whether a one-core task finds room on the two-core node `n` of `registry`. */
function oneCoreFits(registry: NodeRegistry): boolean {
  const result = schedule(
    {
      nodes: registry.all(),
      holdings: registry.holdings(),
      queue: [queued(100)],
      reservations: new Map(),
      roundRobinAfter: null,
      now: 0,
    },
    defaultPolicy,
  );
  return result.placements.length === 1;
}

describe('NodeRegistry holdings', () => {
  it.each(taskStatuses)('a %s task holds its node’s resources only while it is placed and not final', (status) => {
    const registry = new NodeRegistry();
    registry.register('n', 'test', resources(2), 0);
    registry.hold(placedTask(1, status));
    const holds = holdingStatuses.has(status);
    expect(holds).toBe(['assigned', 'syncing', 'running', 'paused'].includes(status));
    expect(oneCoreFits(registry)).toBe(!holds);
    expect(registry.get('n')?.capacity.cores).toBe(holds ? 2 : 0);
  });

  it('frees a paused task’s resources only when it reaches a final state', () => {
    const registry = new NodeRegistry();
    registry.register('n', 'test', resources(2), 0);
    registry.hold(placedTask(1, 'paused'));
    expect(oneCoreFits(registry)).toBe(false);
    registry.release(placedTask(1, 'killed'));
    expect(oneCoreFits(registry)).toBe(true);
    expect([...registry.holdings()]).toEqual([]);
  });

  it('keeps a node drained across a re-registration', () => {
    const registry = new NodeRegistry();
    registry.register('n', 'test', resources(2), 0);
    registry.setDrained('n', true);
    registry.register('n', 'test', resources(2), 1);
    expect(registry.get('n')?.drained).toBe(true);
    expect(registry.all()[0]?.drained).toBe(true);
  });
});
