import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorBodySchema, routes } from '@kawa/protocol';
import { getNode, getTask, submit, taskReaches } from '../testing/api.js';
import { FakeRunner, testResources } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

describe('scheduling through the API', () => {
  let host: TestHost;
  let url: string;
  const runners: FakeRunner[] = [];
  const connect = async (name: string, cores: number): Promise<FakeRunner> => {
    const runner = await FakeRunner.connect(url, host.tokens.joinToken);
    runners.push(runner);
    await runner.hello(name, testResources({ cores }));
    return runner;
  };

  beforeEach(async () => {
    host = createTestHost();
    url = (await listen(host)).ws;
  });
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.close();
    await host.close();
  });

  it('waits with a reason while no node is online, and places when one registers', async () => {
    const id = (await submit(host, { command: ['true'] })).taskIds[0] as number;
    expect(await getTask(host, id)).toMatchObject({ status: 'pending', reason: 'no node is online' });
    const runner = await connect('node1', 2);
    expect((await runner.next('task-start')).task.id).toBe(id);
    expect(await getTask(host, id)).toMatchObject({ status: 'assigned', node: 'node1' });
  });

  it('refuses a named target that can never fit with 422 and stores nothing', async () => {
    await connect('node2', 2);
    for (const target of ['node2', 'node2:5', 'node2::3']) {
      const response = await host.app.inject({
        method: 'POST',
        url: routes.submitTasks.path,
        headers: host.admin,
        payload: { command: ['true'], cores: target === 'node2' ? 3 : 1, targets: [target] },
      });
      expect(response.statusCode).toBe(422);
      expect(ErrorBodySchema.parse(response.json()).error.code).toBe('KAWA_ERR_UNSATISFIABLE');
    }
    const list = await host.app.inject({ method: 'GET', url: routes.listTasks.path, headers: host.admin });
    expect(list.json()).toMatchObject({ total: 0 });
  });

  it('refuses an env that has no tarball with 404, and schedules nothing', async () => {
    const response = await host.app.inject({
      method: 'POST',
      url: routes.submitTasks.path,
      headers: host.admin,
      payload: { command: ['true'], container: 'pytorch' },
    });
    expect(response.statusCode).toBe(404);
    expect(ErrorBodySchema.parse(response.json()).error).toMatchObject({
      code: 'KAWA_ERR_ENV_NOT_FOUND',
      message: expect.stringMatching(/kawa docker tar create pytorch/) as unknown,
    });
    const list = await host.app.inject({ method: 'GET', url: routes.listTasks.path, headers: host.admin });
    expect(list.json()).toMatchObject({ total: 0 });
  });

  it('keeps FIFO order, waits with the busy reason, and places the next task when one ends', async () => {
    const runner = await connect('node2', 2);
    const { batchId, taskIds } = await submit(host, {
      command: ['true'],
      cores: 1.5,
      targets: ['node2', 'node2', 'node2'],
    });
    const [first, second, third] = taskIds as [number, number, number];
    expect((await runner.next('task-start')).task.id).toBe(first);
    expect(await getTask(host, second)).toMatchObject({
      status: 'pending',
      batchId,
      reason: 'waiting for 1.5 cores on node2 (1.5 of 2 in use)',
    });
    // A smaller task submitted later does not jump the queue of its own shape but may use the gap.
    const small = (await submit(host, { command: ['true'], cores: 0.5, targets: ['node2'] })).taskIds[0] as number;
    expect((await runner.next('task-start')).task.id).toBe(small);

    runner.report(first, 'running');
    runner.report(first, 'completed', { exitCode: 0 });
    expect((await runner.next('task-start')).task.id).toBe(second);
    await taskReaches(host, second, 'assigned');
    expect(await getTask(host, third)).toMatchObject({ status: 'pending' });
    expect((await getNode(host, 'node2')).allocated).toMatchObject({ cores: 2, tasks: 2 });
  });

  it('packs untargeted tasks onto one node under best-fit, the default', async () => {
    const a = await connect('a', 2);
    await connect('b', 2);
    const { taskIds } = await submit(host, { command: ['true'], cores: 1, targets: [] });
    const more = await submit(host, { command: ['true'], cores: 1 });
    expect((await a.next('task-start')).task.id).toBe(taskIds[0]);
    expect((await a.next('task-start')).task.id).toBe(more.taskIds[0]);
  });

  it('spreads untargeted tasks over the least-loaded nodes when the host config says so', async () => {
    await host.close();
    host = createTestHost({ config: { placement_policy: 'least-loaded' } });
    url = (await listen(host)).ws;
    const a = await connect('a', 2);
    const b = await connect('b', 2);
    const { taskIds } = await submit(host, { command: ['true'], targets: [] });
    const more = await submit(host, { command: ['true'] });
    const starts = await Promise.all([a.next('task-start'), b.next('task-start')]);
    expect(starts.map((frame) => frame.task.id).sort()).toEqual([taskIds[0], more.taskIds[0]].sort());
  });

  it('places cores=0 tasks on a full node and keeps GPUs exclusive', async () => {
    const runner = await FakeRunner.connect(url, host.tokens.joinToken);
    runners.push(runner);
    await runner.hello(
      'g',
      testResources({ cores: 1, gpus: [{ index: 0, name: 'A100', uuid: 'GPU-0', memoryTotalBytes: null }] }),
    );
    const [full, zero] = (await submit(host, { command: ['true'], targets: ['g::0', 'g'] })).taskIds as [
      number,
      number,
    ];
    expect((await runner.next('task-start')).task).toMatchObject({ id: full, gpus: [0] });
    expect(await getTask(host, zero)).toMatchObject({ status: 'pending' });
    const free = (await submit(host, { command: ['true'], cores: 0, targets: ['g'] })).taskIds[0] as number;
    expect((await runner.next('task-start')).task.id).toBe(free);
    const gpu = (await submit(host, { command: ['true'], cores: 0, targets: ['g::0'] })).taskIds[0] as number;
    expect(await getTask(host, gpu)).toMatchObject({
      status: 'pending',
      reason: `waiting for GPU 0 on g: GPU 0 held by task ${full}`,
    });
  });
});
