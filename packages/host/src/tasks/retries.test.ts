import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { eventually, getTask, listTasks, submit, taskEvents, taskReaches } from '../testing/api.js';
import { FakeRunner, testResources } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

describe('retries', () => {
  let host: TestHost;
  let url: string;
  const runners: FakeRunner[] = [];
  beforeEach(async () => {
    host = createTestHost({ config: { heartbeat_interval: 0.1, heartbeat_grace: 0.3 } });
    url = (await listen(host)).ws;
  });
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.terminate();
    await host.close();
  });

  async function connect(name: string, liveTasks: { taskId: number; status: 'running' }[] = []): Promise<FakeRunner> {
    const runner = await FakeRunner.connect(url, host.tokens.joinToken);
    runners.push(runner);
    await runner.hello(name, testResources({ cores: 1 }), liveTasks);
    return runner;
  }

  /** Starts the batch's first task on `runner` and returns it running. */
  async function startOn(runner: FakeRunner, body: Parameters<typeof submit>[1]): Promise<Task> {
    const id = (await submit(host, body)).taskIds[0] as number;
    expect((await runner.next('task-start')).task.id).toBe(id);
    runner.report(id, 'running');
    return taskReaches(host, id, 'running');
  }

  /** The other tasks of the batch, once there are `count` of them in all. */
  async function batchOf(task: Task, count: number): Promise<Task[]> {
    return eventually(async () => {
      const { tasks } = await listTasks(host, `?batch=${task.batchId}`);
      return tasks.length === count ? tasks.sort((a, b) => a.id - b.id) : undefined;
    });
  }

  it('requeues a lost task as the next attempt in its batch, records both, and stops when attempts run out', async () => {
    const a = await connect('a');
    const first = await startOn(a, { command: ['sleep', '100'], retry: 1 });
    await a.terminate();
    expect(await taskReaches(host, first.id, 'lost')).toMatchObject({ attempt: 1 });
    const [, retry] = (await batchOf(first, 2)) as [Task, Task];
    expect(retry).toMatchObject({ status: 'pending', attempt: 2, retry: 1, command: ['sleep', '100'], node: null });

    expect((await taskEvents(host, first.id)).at(-1)).toMatchObject({
      from: 'lost',
      to: 'lost',
      message: `retried as task ${retry.id} (attempt 2 of 2)`,
    });
    expect((await taskEvents(host, retry.id))[0]).toMatchObject({
      from: null,
      to: 'pending',
      message: expect.stringMatching(
        new RegExp(`^attempt 2 of 2, retrying task ${first.id} \\(lost: node a went offline`),
      ) as unknown,
    });

    const b = await connect('b');
    expect((await b.next('task-start')).task.id).toBe(retry.id);
    b.report(retry.id, 'running');
    await taskReaches(host, retry.id, 'running');
    await b.terminate();
    await taskReaches(host, retry.id, 'lost');
    await connect('c');
    // No third attempt: --retry 1 allows two in all.
    expect((await listTasks(host, `?batch=${first.batchId}`)).total).toBe(2);
  });

  it('requeues a failed task only with --retry-on-fail', async () => {
    const a = await connect('a');
    const plain = await startOn(a, { command: ['false'], retry: 2 });
    a.report(plain.id, 'failed', { exitCode: 1 });
    await taskReaches(host, plain.id, 'failed');
    const onFail = await startOn(a, { command: ['false'], retry: 2, retryOnFail: true });
    a.report(onFail.id, 'failed', { exitCode: 1 });
    const [, retry] = (await batchOf(onFail, 2)) as [Task, Task];
    expect(retry).toMatchObject({ attempt: 2, retryOnFail: true });
    expect((await a.next('task-start')).task.id).toBe(retry.id);
    expect((await listTasks(host, `?batch=${plain.batchId}`)).total).toBe(1);
  });

  it('kills a lost task whose runner comes back after its retry was queued (regression: the work ran twice)', async () => {
    const a = await connect('a');
    const first = await startOn(a, { command: ['sleep', '100'], retry: 1 });
    await a.terminate();
    await taskReaches(host, first.id, 'lost');
    const [, retry] = (await batchOf(first, 2)) as [Task, Task];
    const b = await connect('b');
    expect((await b.next('task-start')).task.id).toBe(retry.id);

    const back = await connect('a', [{ taskId: first.id, status: 'running' }]);
    expect(await back.next('task-control')).toMatchObject({ taskId: first.id, action: 'kill' });
    expect(await getTask(host, first.id)).toMatchObject({ status: 'lost' });
    expect((await taskEvents(host, first.id)).at(-1)).toMatchObject({
      from: 'lost',
      to: 'lost',
      message: `node a came back with the task still alive; killed there, since task ${retry.id} retries it`,
    });
  });
});
