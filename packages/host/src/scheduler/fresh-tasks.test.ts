import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Task } from '@kawa/protocol';
import { NodeRegistry } from '../nodes/registry.js';
import { openStore, type Store } from '../store/store.js';
import { TaskLifecycle } from '../tasks/lifecycle.js';
import { testResources } from '../testing/fake-runner.js';
import { newTask } from '../testing/new-task.js';
import { Scheduler } from './scheduler.js';

// The pass right after a submit places the tasks from the copies the submit returned, without
// reading their rows back; the stored row still decides whenever a copy does not match it.
describe('tasks queued since the last pass', () => {
  let dir: string;
  let store: Store;
  let scheduler: Scheduler;
  let delivered: Task[];
  let lifecycle: TaskLifecycle;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-fresh-'));
    store = openStore(join(dir, 'kawa.db'));
    const registry = new NodeRegistry();
    store.nodes.register('node1', '1', testResources({ cores: 4 }), 1);
    registry.register('node1', '1', testResources({ cores: 4 }), 1);
    delivered = [];
    lifecycle = new TaskLifecycle(store.tasks, registry, { now: () => 5000 });
    scheduler = new Scheduler({
      tasks: store.tasks,
      nodes: registry,
      lifecycle,
      startTask: (_node, task) => delivered.push(task) > 0,
      clock: { now: () => 5000 },
      policy: { placement: 'best-fit', reserveAfterMs: 60_000 },
      log: Fastify({ logger: false }).log,
    });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are placed without reading their rows, and go out as stored', () => {
    const { tasks } = store.tasks.insertBatch('admin', [newTask(), newTask({ env: { A: 'b' } })], 1000, 'waiting');
    for (const task of tasks) scheduler.enqueue(task);
    const get = vi.spyOn(store.tasks, 'get');
    scheduler.requestPass();
    expect(get).not.toHaveBeenCalled();
    expect(delivered.map((task) => task.id)).toEqual(tasks.map((task) => task.id));
    for (const task of delivered) expect(task).toEqual(store.tasks.get(task.id));
  });

  it('are placed from the stored row when the copy no longer matches it', () => {
    const task = store.tasks.insertBatch('admin', [newTask()], 1000, 'waiting').tasks[0] as Task;
    // A copy the database does not hold (say, from a transaction that rolled back).
    scheduler.enqueue({ ...task, startedAt: 1 });
    scheduler.requestPass();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ id: task.id, status: 'assigned', node: 'node1', startedAt: null });
    expect(delivered[0]).toEqual(store.tasks.get(task.id));
  });

  it('are not kept past the pass: a later pass reads the rows, all in one statement', () => {
    const tasks = store.tasks.insertBatch(
      'admin',
      Array.from({ length: 6 }, () => newTask()),
      1000,
      'waiting',
    ).tasks;
    for (const task of tasks) scheduler.enqueue(task);
    scheduler.requestPass();
    expect(delivered).toHaveLength(4);
    const get = vi.spyOn(store.tasks, 'get');
    const getMany = vi.spyOn(store.tasks, 'getMany');
    lifecycle.transition(delivered[0] as Task, 'killed', { reason: 'freed a core' });
    lifecycle.transition(delivered[1] as Task, 'killed', { reason: 'freed a core' });
    scheduler.requestPass();
    expect(delivered.map((task) => task.id)).toEqual(tasks.map((task) => task.id));
    expect(getMany).toHaveBeenCalledTimes(1);
    expect(getMany).toHaveBeenCalledWith([tasks[4]?.id, tasks[5]?.id]);
    expect(get).not.toHaveBeenCalled();
    for (const task of delivered.slice(4)) expect(task).toEqual(store.tasks.get(task.id));
  });
});
