import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskSchema, buildPath, routes } from '@kawa/protocol';
import { getTask, listTasks, submit, taskAction } from '../testing/api.js';
import { createTestHost, type TestHost } from '../testing/test-host.js';

describe('tasks API', () => {
  let host: TestHost;
  beforeEach(() => {
    host = createTestHost();
  });
  afterEach(() => host.close());

  it('stores one task per target in one batch with defaults applied', async () => {
    const { batchId, taskIds } = await submit(host, {
      command: ['echo', 'hi'],
      targets: ['a', 'b:1', 'c::0,1'],
      memory: '512M',
    });
    expect(taskIds).toHaveLength(3);
    const tasks = await Promise.all(taskIds.map((id) => getTask(host, id)));
    expect(tasks.map((task) => task.target)).toEqual([
      { node: 'a', numa: null, gpus: [] },
      { node: 'b', numa: 1, gpus: [] },
      { node: 'c', numa: null, gpus: [0, 1] },
    ]);
    for (const task of tasks) {
      expect(task).toMatchObject({
        batchId,
        owner: 'admin',
        cores: 1,
        memoryBytes: 512e6,
        container: null,
        status: 'pending',
        node: null,
      });
    }
    expect(tasks[1]?.reason).toBe('waiting for node b to register');
  });

  it('lists newest first with filters, keyset paging and a total', async () => {
    const first = await submit(host, { command: ['true'], targets: ['x', 'x', 'x'] });
    const second = await submit(host, { command: ['true'], targets: ['y', 'y'] });
    await taskAction(host, first.taskIds[0] as number, 'kill');

    const all = await listTasks(host);
    expect(all.total).toBe(5);
    expect(all.tasks.map((task) => task.id)).toEqual([...first.taskIds, ...second.taskIds].sort((a, b) => b - a));
    expect(all.nextBefore).toBeNull();

    const page1 = await listTasks(host, '?limit=2');
    expect(page1.tasks).toHaveLength(2);
    expect(page1.total).toBe(5);
    const page2 = await listTasks(host, `?limit=2&before=${page1.nextBefore}`);
    const page3 = await listTasks(host, `?limit=2&before=${page2.nextBefore}`);
    expect([...page1.tasks, ...page2.tasks, ...page3.tasks].map((task) => task.id)).toEqual(
      all.tasks.map((task) => task.id),
    );
    expect(page3.nextBefore).toBeNull();

    expect((await listTasks(host, `?batch=${second.batchId}`)).total).toBe(2);
    expect((await listTasks(host, '?status=killed')).tasks.map((task) => task.id)).toEqual([first.taskIds[0]]);
    expect((await listTasks(host, '?status=killed,pending')).total).toBe(5);
    expect((await listTasks(host, '?node=x')).total).toBe(0);
  });

  it('answers a wait at the timeout with the current state, and at once for a final task', async () => {
    const id = (await submit(host, { command: ['true'] })).taskIds[0] as number;
    const url = buildPath(routes.waitTask.path, { id });
    const early = await host.app.inject({ method: 'GET', url: `${url}?timeoutMs=30`, headers: host.admin });
    expect(TaskSchema.parse(early.json()).status).toBe('pending');

    const waiting = host.app.inject({ method: 'GET', url: `${url}?timeoutMs=10000`, headers: host.admin });
    await taskAction(host, id, 'kill');
    expect(TaskSchema.parse((await waiting).json())).toMatchObject({ id, status: 'killed' });

    const late = await host.app.inject({ method: 'GET', url: `${url}?timeoutMs=10000`, headers: host.admin });
    expect(TaskSchema.parse(late.json()).status).toBe('killed');
  });

  it('records every state change as an event', async () => {
    const id = (await submit(host, { command: ['true'] })).taskIds[0] as number;
    await taskAction(host, id, 'kill');
    const response = await host.app.inject({
      method: 'GET',
      url: buildPath(routes.taskEvents.path, { id }),
      headers: host.admin,
    });
    expect(response.json()).toMatchObject({
      events: [
        { taskId: id, from: null, to: 'pending' },
        { taskId: id, from: 'pending', to: 'killed', message: 'killed before it started' },
      ],
    });
  });

  it('keeps pending tasks across a restart', async () => {
    const id = (await submit(host, { command: ['true'], targets: ['later'] })).taskIds[0] as number;
    await host.app.close();
    const { buildApp } = await import('../app.js');
    const again = buildApp({ config: host.config, store: host.store, logLevel: 'silent', validateResponses: true });
    try {
      const response = await again.inject({
        method: 'GET',
        url: buildPath(routes.getTask.path, { id }),
        headers: host.admin,
      });
      expect(TaskSchema.parse(response.json())).toMatchObject({
        status: 'pending',
        reason: 'waiting for node later to register',
      });
    } finally {
      await again.close();
    }
  });
});
