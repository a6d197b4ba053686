import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { NodeRegistry } from '../nodes/registry.js';
import { openStore, type Store } from '../store/store.js';
import { TaskLifecycle } from '../tasks/lifecycle.js';
import { testResources } from '../testing/fake-runner.js';
import { newTask } from '../testing/new-task.js';
import { Scheduler } from './scheduler.js';

describe('a task-start that cannot be delivered', () => {
  let dir: string;
  let store: Store;
  afterEach(() => {
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts the task back in the queue instead of leaving it assigned (regression: stuck assigned, then lost)', () => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-requeue-'));
    store = openStore(join(dir, 'kawa.db'));
    const registry = new NodeRegistry();
    store.nodes.register('node1', '1', testResources({ cores: 2 }), Date.now());
    registry.register('node1', '1', testResources({ cores: 2 }), Date.now());
    const lifecycle = new TaskLifecycle(store.tasks, registry, { now: () => Date.now() });
    const delivered: Task[] = [];
    let linkUp = false;
    const scheduler = new Scheduler({
      tasks: store.tasks,
      nodes: registry,
      lifecycle,
      startTask: (_node, task) => {
        if (linkUp) delivered.push(task);
        return linkUp;
      },
      clock: { now: () => Date.now() },
      policy: { placement: 'best-fit', reserveAfterMs: 60_000 },
      log: Fastify({ logger: false }).log,
    });

    const { tasks } = store.tasks.insertBatch('admin', [newTask(), newTask()], Date.now(), 'waiting for the scheduler');
    for (const task of tasks) scheduler.enqueue(task);
    scheduler.requestPass();

    for (const task of tasks) {
      expect(store.tasks.get(task.id)).toMatchObject({
        status: 'pending',
        node: null,
        reason: 'node node1 disconnected before the task reached it',
      });
    }
    expect(registry.get('node1')?.connected).toBe(false);
    expect(registry.get('node1')?.capacity.cores).toBe(0);
    expect(scheduler.pendingReason(tasks[0]!.id)).toBe('no node is online');

    // The runner says hello again: both tasks go out, oldest first.
    linkUp = true;
    registry.register('node1', '1', testResources({ cores: 2 }), Date.now());
    scheduler.requestPass();
    expect(delivered.map((task) => task.id)).toEqual(tasks.map((task) => task.id));
    expect(store.tasks.get(tasks[0]!.id)?.status).toBe('assigned');
  });
});
