import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeRegistry } from '../nodes/registry.js';
import { openStore, type Store } from '../store/store.js';
import { TaskLifecycle } from '../tasks/lifecycle.js';
import { eventually } from '../testing/api.js';
import { testResources } from '../testing/fake-runner.js';
import { newTask } from '../testing/new-task.js';
import { SLOW_PASS_MS, Scheduler } from './scheduler.js';

describe('pass pacing', () => {
  let dir: string;
  let store: Store;
  let time: number;
  let delivered: number[];
  let scheduler: Scheduler;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-pacing-'));
    store = openStore(join(dir, 'kawa.db'));
    const registry = new NodeRegistry();
    store.nodes.register('node1', '1', testResources({ cores: 8 }), 0);
    registry.register('node1', '1', testResources({ cores: 8 }), 0);
    const clock = { now: () => time };
    time = 0;
    delivered = [];
    scheduler = new Scheduler({
      tasks: store.tasks,
      nodes: registry,
      lifecycle: new TaskLifecycle(store.tasks, registry, clock),
      startTask: (_node, task) => {
        // Delivery happens inside the pass: this makes the pass look slow on the test clock.
        time += 2 * SLOW_PASS_MS;
        delivered.push(task.id);
        return true;
      },
      clock,
      policy: { placement: 'best-fit', reserveAfterMs: 60_000 },
      log: Fastify({ logger: false }).log,
    });
  });
  afterEach(() => {
    scheduler.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const submitOne = (): number => {
    const task = store.tasks.insertBatch('admin', [newTask()], time, 'waiting for the scheduler').tasks[0];
    if (!task) throw new Error('no task inserted');
    scheduler.enqueue(task);
    scheduler.requestPass();
    return task.id;
  };

  it('pauses after a slow pass as long as it took, then serves the requests made meanwhile in one pass', async () => {
    const first = submitOne();
    expect(delivered).toEqual([first]);
    time += 1;
    const second = submitOne();
    const third = submitOne();
    expect(delivered).toEqual([first]);
    await eventually(() => (delivered.length === 3 ? true : undefined), 2_000);
    expect(delivered).toEqual([first, second, third]);
  });

  it('runs a pass at once after a fast one', () => {
    const first = submitOne();
    time += 2 * SLOW_PASS_MS;
    expect(submitOne()).toBe(delivered[1]);
    expect(delivered[0]).toBe(first);
  });

  it('drops a paused pass when stopped', async () => {
    submitOne();
    submitOne();
    scheduler.stop();
    await new Promise((resolve) => setTimeout(resolve, 4 * SLOW_PASS_MS));
    expect(delivered).toHaveLength(1);
  });
});
