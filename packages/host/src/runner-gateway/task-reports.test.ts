import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task, TaskEventFrame } from '@kawa/protocol';
import { NodeRegistry } from '../nodes/registry.js';
import { openStore, type Store } from '../store/store.js';
import { TaskLifecycle } from '../tasks/lifecycle.js';
import { testResources } from '../testing/fake-runner.js';
import { newTask } from '../testing/new-task.js';
import { applyTaskReport } from './task-reports.js';

const report = (taskId: number, status: TaskEventFrame['status']): TaskEventFrame => ({
  type: 'task-event',
  taskId,
  status,
  exitCode: status === 'completed' ? 0 : null,
  message: null,
  errorCode: null,
  at: 0,
});

// The lifecycle keeps its own copy of placed tasks so that reports need no read of the row;
// these check that the copy can never make a report apply wrongly or be lost.
describe('task reports', () => {
  let dir: string;
  let store: Store;
  let lifecycle: TaskLifecycle;
  const log = Fastify({ logger: false }).log;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-task-reports-'));
    store = openStore(join(dir, 'kawa.db'));
    const registry = new NodeRegistry();
    for (const name of ['node1', 'node2']) {
      store.nodes.register(name, '1', testResources({ cores: 2 }), 1);
      registry.register(name, '1', testResources({ cores: 2 }), 1);
    }
    lifecycle = new TaskLifecycle(store.tasks, registry, { now: () => 5000 });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const placedTask = (node: string): Task => {
    const task = store.tasks.insertBatch('admin', [newTask()], 1000, 'waiting').tasks[0] as Task;
    return lifecycle.transition(task, 'assigned', { reason: null, placement: { node, numa: null, gpus: [] } }) as Task;
  };
  const apply = (node: string, taskId: number, status: TaskEventFrame['status']): void =>
    store.tasks.transaction(() => applyTaskReport(node, report(taskId, status), store.tasks, lifecycle, log));

  it('move a placed task along its life, each change stored with its event', () => {
    const task = placedTask('node1');
    apply('node1', task.id, 'running');
    expect(store.tasks.get(task.id)).toMatchObject({ status: 'running', startedAt: 5000 });
    apply('node1', task.id, 'completed');
    expect(store.tasks.get(task.id)).toMatchObject({ status: 'completed', exitCode: 0, endedAt: 5000 });
    expect(store.tasks.events(task.id).map((event) => event.to)).toEqual([
      'pending',
      'assigned',
      'running',
      'completed',
    ]);
  });

  it('from another node change nothing', () => {
    const task = placedTask('node1');
    apply('node2', task.id, 'running');
    expect(store.tasks.get(task.id)?.status).toBe('assigned');
  });

  it('still apply after a rolled-back transaction left the placed copy ahead of the database', () => {
    const task = placedTask('node1');
    expect(() =>
      store.tasks.transaction(() => {
        applyTaskReport('node1', report(task.id, 'running'), store.tasks, lifecycle, log);
        throw new Error('a later report in the batch failed');
      }),
    ).toThrow();
    // The copy says running; the database, assigned. The runner resends what was not acked.
    expect(lifecycle.placedTask(task.id)?.status).toBe('running');
    expect(store.tasks.get(task.id)?.status).toBe('assigned');
    apply('node1', task.id, 'running');
    expect(store.tasks.get(task.id)?.status).toBe('running');

    // The same with the copy two steps ahead: a report it calls impossible is checked on the row.
    expect(() =>
      store.tasks.transaction(() => {
        applyTaskReport('node1', report(task.id, 'completed'), store.tasks, lifecycle, log);
        throw new Error('again');
      }),
    ).toThrow();
    apply('node1', task.id, 'paused');
    expect(store.tasks.get(task.id)?.status).toBe('paused');
  });
});
