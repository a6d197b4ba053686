import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ErrorBodySchema, NodeSchema, buildPath, routes } from '@kawa/protocol';
import { buildApp } from '../app.js';
import { getNode, getTask, post, submit, taskReaches } from '../testing/api.js';
import { FakeRunner, testResources } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

const drainPath = (name: string): string => buildPath(routes.drainNode.path, { name });
const undrainPath = (name: string): string => buildPath(routes.undrainNode.path, { name });

describe('drain and undrain', () => {
  let host: TestHost;
  let restarted: FastifyInstance | null = null;
  const runners: FakeRunner[] = [];
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.terminate();
    await restarted?.close();
    restarted = null;
    await host.close();
  });

  async function connect(url: string, name: string): Promise<FakeRunner> {
    const runner = await FakeRunner.connect(url, host.tokens.joinToken);
    runners.push(runner);
    await runner.hello(name, testResources({ cores: 1 }));
    return runner;
  }

  it('stops new placements on a drained node while its running task finishes, and undrain reopens it', async () => {
    host = createTestHost();
    const url = (await listen(host)).ws;
    const a = await connect(url, 'a');
    const running = (await submit(host, { command: ['sleep', '1'], targets: ['a'] })).taskIds[0] as number;
    await a.next('task-start');
    a.report(running, 'running');
    await taskReaches(host, running, 'running');

    const drained = await post(host, drainPath('a'));
    expect(drained.status).toBe(200);
    expect(NodeSchema.parse(drained.body)).toMatchObject({ name: 'a', drained: true });
    expect(await getTask(host, running)).toMatchObject({ status: 'running' });

    const b = await connect(url, 'b');
    const [anywhere, onA] = [
      (await submit(host, { command: ['true'] })).taskIds[0] as number,
      (await submit(host, { command: ['true'], targets: ['a'] })).taskIds[0] as number,
    ];
    expect((await b.next('task-start')).task.id).toBe(anywhere);
    a.report(running, 'completed', { exitCode: 0 });
    await taskReaches(host, running, 'completed');
    expect(await getTask(host, onA)).toMatchObject({
      status: 'pending',
      reason: 'a is drained ("kawa node undrain a" lets it take tasks again)',
    });

    expect(await post(host, undrainPath('a'))).toMatchObject({ status: 200, body: { drained: false } });
    expect((await a.next('task-start')).task.id).toBe(onA);
  });

  it('answers 404 for an unknown node', async () => {
    host = createTestHost();
    const answer = await post(host, drainPath('ghost'));
    expect(answer.status).toBe(404);
    expect(ErrorBodySchema.parse(answer.body).error.code).toBe('KAWA_ERR_NODE_NOT_FOUND');
  });

  it('keeps a node drained across a host restart and the runner’s next hello', async () => {
    host = createTestHost();
    await connect((await listen(host)).ws, 'a');
    await post(host, drainPath('a'));
    await host.app.close();
    restarted = buildApp({ config: host.config, store: host.store, logLevel: 'silent', validateResponses: true });
    host.app = restarted;
    const again = await connect((await listen(host)).ws, 'a');
    expect(await getNode(host, 'a')).toMatchObject({ status: 'online', drained: true });
    const id = (await submit(host, { command: ['true'] })).taskIds[0] as number;
    expect(await getTask(host, id)).toMatchObject({
      status: 'pending',
      reason: 'no node takes tasks: every online node is drained',
    });
    await post(host, undrainPath('a'));
    expect((await again.next('task-start')).task.id).toBe(id);
  });
});
