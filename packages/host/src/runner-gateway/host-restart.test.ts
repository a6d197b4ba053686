import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { getTask, submit, taskReaches } from '../testing/api.js';
import { FakeRunner } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

/** After a host restart, runners get one grace period to come back with their tasks. */
describe('host restart', () => {
  let host: TestHost;
  let restarted: FastifyInstance | null = null;
  const runners: FakeRunner[] = [];

  afterEach(async () => {
    for (const runner of runners.splice(0)) runner.terminate().catch(() => undefined);
    await restarted?.close();
    restarted = null;
    await host.close();
  });

  async function runTaskThenRestart(grace: number): Promise<{ id: number; url: string }> {
    host = createTestHost({ config: { heartbeat_interval: 0.1, heartbeat_grace: grace } });
    const first = await FakeRunner.connect((await listen(host)).ws, host.tokens.joinToken);
    runners.push(first);
    await first.hello('node1');
    const id = (await submit(host, { command: ['sleep', '100'] })).taskIds[0] as number;
    await first.next('task-start');
    first.report(id, 'running');
    await taskReaches(host, id, 'running');
    await host.app.close();
    await first.closed;

    restarted = buildApp({ config: host.config, store: host.store, logLevel: 'silent', validateResponses: true });
    host.app = restarted;
    return { id, url: (await listen(host)).ws };
  }

  it('keeps the tasks of a runner that reconnects in time', async () => {
    const { id, url } = await runTaskThenRestart(30);
    const again = await FakeRunner.connect(url, host.tokens.joinToken);
    runners.push(again);
    await again.hello('node1', undefined, [{ taskId: id, status: 'running' }]);
    expect(await getTask(host, id)).toMatchObject({ status: 'running', node: 'node1' });
  });

  it('loses the tasks of a runner that does not come back within the grace', async () => {
    const { id } = await runTaskThenRestart(0.3);
    const lost = await taskReaches(host, id, 'lost');
    expect(lost.reason).toMatch(/node1 went offline/);
  });
});
