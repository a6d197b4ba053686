import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorBodySchema, buildPath, routes } from '@kawa/protocol';
import { getTask, post, submit, taskReaches } from '../testing/api.js';
import { FakeRunner, testResources } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

const killPath = (id: number): string => buildPath(routes.killBatch.path, { id });

describe('kill a batch', () => {
  let host: TestHost;
  let runner: FakeRunner;
  beforeEach(async () => {
    host = createTestHost();
    runner = await FakeRunner.connect((await listen(host)).ws, host.tokens.joinToken);
    await runner.hello('node1', testResources({ cores: 1 }));
  });
  afterEach(async () => {
    await runner.close();
    await host.close();
  });

  it('kills the pending tasks at once and the placed ones through their runner; other batches are untouched', async () => {
    const { batchId, taskIds } = await submit(host, { command: ['sleep', 'span:{1..3}'], sweep: true });
    const [running, ...pending] = taskIds as [number, number, number];
    await runner.next('task-start');
    runner.report(running, 'running');
    await taskReaches(host, running, 'running');
    const other = (await submit(host, { command: ['true'] })).taskIds[0] as number;

    const answer = post(host, killPath(batchId));
    const control = await runner.next('task-control');
    expect(control).toMatchObject({ taskId: running, action: 'kill' });
    runner.report(running, 'killed', { exitCode: 137 });
    runner.send({ type: 'command-result', requestId: control.requestId, ok: true, error: null });
    expect(await answer).toEqual({ status: 200, body: { batchId, killed: [running, ...pending] } });
    for (const id of pending) expect(await getTask(host, id)).toMatchObject({ status: 'killed', node: null });
    // The freed core goes to the other batch, not to a task of the killed one.
    expect((await runner.next('task-start')).task.id).toBe(other);
  });

  it('answers 404 KAWA_ERR_BATCH_NOT_FOUND for an unknown batch', async () => {
    const answer = await post(host, killPath(999));
    expect(answer.status).toBe(404);
    expect(ErrorBodySchema.parse(answer.body).error.code).toBe('KAWA_ERR_BATCH_NOT_FOUND');
  });

  it('answers an empty list for a batch that has already ended', async () => {
    const { batchId, taskIds } = await submit(host, { command: ['true'] });
    const id = taskIds[0] as number;
    await runner.next('task-start');
    runner.report(id, 'completed', { exitCode: 0 });
    await taskReaches(host, id, 'completed');
    expect(await post(host, killPath(batchId))).toEqual({ status: 200, body: { batchId, killed: [] } });
  });
});
