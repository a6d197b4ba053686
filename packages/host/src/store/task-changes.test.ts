import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { testResources } from '../testing/fake-runner.js';
import { newTask } from '../testing/new-task.js';
import { openStore, type Store } from './store.js';

// Inserts and state changes build the task they return from what they wrote (and the few
// columns a change reads back) instead of reading the whole row: these check that it is always
// exactly the row as stored.
describe('the tasks that inserts and state changes return', () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-task-changes-'));
    store = openStore(join(dir, 'kawa.db'));
    store.nodes.register('node1', '1', testResources({ cores: 8 }), 1);
    store.nodes.register('node2', '1', testResources({ cores: 8 }), 1);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = (task: Task | null): Task | null => (task === null ? null : store.tasks.get(task.id));

  it('are what the store reads back, for every kind of field a submit sets', () => {
    const { tasks } = store.tasks.insertBatch(
      'alice',
      [
        newTask(),
        newTask({
          command: ['python', 'train.py', '--lr', '0.1'],
          env: { SEED: '1', EMPTY: '' },
          workdir: '/work',
          container: 'torch',
          mounts: [{ source: '/data', target: '/data', readOnly: true }],
          privileged: true,
          cores: 2.5,
          memoryBytes: 4_000_000_000,
          target: { node: 'node1', numa: 1, gpus: [0, 1] },
          privateNetwork: true,
          privatePid: true,
          priority: -3,
          gpuCount: 2,
          numaAuto: true,
          maxParallel: 4,
          retry: 2,
          retryOnFail: true,
        }),
        newTask({ kind: 'vps', publicKey: 'ssh-ed25519 AAAA test', image: 'debian:12' }),
      ],
      1000,
      'waiting for the scheduler',
    );
    for (const task of tasks) expect(task).toEqual(stored(task));
    const retry = store.tasks.insertRetry({ ...(tasks[1] as Task), status: 'failed' }, 2000, 'again');
    expect(retry).toEqual(stored(retry));
    expect(retry).toMatchObject({ attempt: 2, status: 'pending', node: null, submittedAt: 2000 });
  });

  it('are what the store reads back through a whole life: placed, running, requeued, ended', () => {
    const [first, second] = store.tasks.insertBatch('admin', [newTask(), newTask()], 1000, 'waiting').tasks as [
      Task,
      Task,
    ];
    const assigned = store.tasks.changeStatus(first, {
      to: 'assigned',
      at: 2000,
      reason: null,
      exitCode: null,
      placement: { node: 'node1', numa: 0, gpus: [1, 3] },
    });
    expect(assigned).toMatchObject({ status: 'assigned', node: 'node1', numa: 0, gpus: [1, 3] });
    expect(assigned).toEqual(stored(assigned));
    store.tasks.setSyncProgress(first.id, 'node1', { what: 'torch', phase: 'loading', doneBytes: 1, totalBytes: 2 });
    const syncing = store.tasks.changeStatus(assigned as Task, {
      to: 'syncing',
      at: 2500,
      reason: null,
      exitCode: null,
    });
    expect(syncing).toEqual(stored(syncing));
    const running = store.tasks.changeStatus(syncing as Task, {
      to: 'running',
      at: 3000,
      reason: null,
      exitCode: null,
    });
    expect(running).toMatchObject({ startedAt: 3000, syncProgress: null });
    expect(running).toEqual(stored(running));
    const failed = store.tasks.changeStatus(running as Task, {
      to: 'failed',
      at: 4000,
      reason: 'exit 3',
      exitCode: 3,
    });
    expect(failed).toMatchObject({ status: 'failed', exitCode: 3, startedAt: 3000, endedAt: 4000 });
    expect(failed).toEqual(stored(failed));

    const placed = store.tasks.changeStatus(second, {
      to: 'assigned',
      at: 2000,
      reason: null,
      exitCode: null,
      placement: { node: 'node2', numa: null, gpus: [] },
    });
    const requeued = store.tasks.changeStatus(placed as Task, {
      to: 'pending',
      at: 2100,
      reason: 'node2 went away',
      exitCode: null,
    });
    expect(requeued).toMatchObject({ status: 'pending', node: null, numa: null, gpus: [] });
    expect(requeued).toEqual(stored(requeued));
  });

  it('apply only while the row still is as the copy shows it, and write nothing otherwise', () => {
    const task = store.tasks.insertBatch('admin', [newTask()], 1000, 'waiting').tasks[0] as Task;
    const assigned = store.tasks.changeStatus(task, {
      to: 'assigned',
      at: 2000,
      reason: null,
      exitCode: null,
      placement: { node: 'node1', numa: 0, gpus: [2] },
    }) as Task;
    const running = { to: 'running', at: 3000, reason: null, exitCode: null } as const;
    for (const stale of [
      task,
      { ...assigned, node: 'node2' },
      { ...assigned, numa: 1 },
      { ...assigned, gpus: [3] },
      { ...assigned, startedAt: 2500 },
    ]) {
      expect(store.tasks.changeStatus(stale, running)).toBeNull();
    }
    expect(stored(assigned)).toEqual(assigned);
    expect(store.tasks.events(task.id).map((event) => event.to)).toEqual(['pending', 'assigned']);
    expect(store.tasks.changeStatus(assigned, running)?.status).toBe('running');
  });

  it('roll back with the transaction they run in, event and all', () => {
    const task = store.tasks.insertBatch('admin', [newTask()], 1000, 'waiting').tasks[0] as Task;
    expect(() =>
      store.tasks.transaction(() => {
        store.tasks.changeStatus(task, { to: 'killed', at: 2000, reason: 'x', exitCode: null });
        throw new Error('the rest of the batch failed');
      }),
    ).toThrow('the rest of the batch failed');
    expect(stored(task)?.status).toBe('pending');
    expect(store.tasks.events(task.id).map((event) => event.to)).toEqual(['pending']);
  });
});
