import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routes } from '@kawa/protocol';
import { getNode, listTasks, submit, taskReaches } from '../testing/api.js';
import { fakeTarball } from '../testing/env-files.js';
import type { FakeRunner } from '../testing/fake-runner.js';
import { RunnerPool } from '../testing/runner-pool.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';
import { TEST_KEY, createVps, vpsAction } from '../testing/vps-api.js';
import { VPS_COMMAND } from './plan.js';

describe('VPS create and list', () => {
  let host: TestHost;
  let url: string;
  const runners = new RunnerPool(() => ({ host, url }));
  const connect = (name: string): Promise<FakeRunner> => runners.connect(name);

  beforeEach(async () => {
    host = createTestHost();
    url = (await listen(host)).ws;
  });
  afterEach(async () => {
    runners.dropAll();
    await host.close();
  });

  it('creates a VPS task with its key and places it; the TaskSpec carries kind and key', async () => {
    const runner = await connect('node1');
    const created = await createVps(host, { memory: '1G', target: 'node1' });
    expect(created.status).toBe(201);
    expect(created.task).toMatchObject({
      kind: 'vps',
      publicKey: TEST_KEY,
      command: VPS_COMMAND,
      image: 'debian:12',
      container: null,
      cores: 0,
      memoryBytes: 1e9,
      retry: 0,
      mounts: [],
      privileged: false,
    });
    const start = await runner.next('task-start');
    expect(start.task).toMatchObject({ id: created.task?.id, kind: 'vps', publicKey: TEST_KEY, cores: 0 });
    // cores 0 holds no cores; the memory is held.
    expect((await getNode(host, 'node1')).allocated).toMatchObject({ cores: 0, memoryBytes: 1e9, tasks: 1 });
  });

  it('trims the key and runs an env that has a tarball', async () => {
    fakeTarball(host, 'devbox');
    const created = await createVps(host, { image: undefined, container: 'devbox', publicKey: `  ${TEST_KEY}\n` });
    expect(created.task).toMatchObject({ kind: 'vps', container: 'devbox', image: null, publicKey: TEST_KEY });
  });

  it.each([
    [{ publicKey: 'ssh-ed25519 AAAA' }, 400, 'KAWA_ERR_BAD_PUBLIC_KEY'],
    [{ publicKey: '-----BEGIN OPENSSH PRIVATE KEY-----' }, 400, 'KAWA_ERR_BAD_PUBLIC_KEY'],
    [{ image: undefined }, 400, 'KAWA_ERR_BAD_REQUEST'],
    [{ image: undefined, container: 'nosuchenv' }, 404, 'KAWA_ERR_ENV_NOT_FOUND'],
    [{ target: 'node1::0', gpus: 1 }, 400, 'KAWA_ERR_BAD_TARGET'],
    [{ target: 'node1', cores: 64 }, 422, 'KAWA_ERR_UNSATISFIABLE'],
  ])('refuses %j with %i %s and stores nothing', async (body, status, code) => {
    await connect('node1');
    const answer = await createVps(host, body);
    expect({ status: answer.status, code: answer.error?.code }).toEqual({ status, code });
    expect((await listTasks(host)).total).toBe(0);
  });

  it('lists the VPS tasks that are not final, newest first, stopped ones included', async () => {
    const runner = await connect('node1');
    const first = (await createVps(host)).task?.id as number;
    await submit(host, { command: ['true'] });
    const second = (await createVps(host)).task?.id as number;
    const third = (await createVps(host)).task?.id as number;
    for (let started = 0; started < 3; started += 1) await runner.next('task-start');
    runner.report(first, 'running');
    runner.report(first, 'stopped');
    runner.report(third, 'failed', { exitCode: 1 });
    await taskReaches(host, first, 'stopped');
    await taskReaches(host, third, 'failed');
    const response = await host.app.inject({ method: 'GET', url: routes.listVps.path, headers: host.admin });
    const listed = routes.listVps.response.parse(response.json()).vps;
    expect(listed.map((task) => [task.id, task.status])).toEqual([
      [second, 'assigned'],
      [first, 'stopped'],
    ]);
  });

  it('refuses stop and restart of a command task with KAWA_ERR_NOT_A_VPS', async () => {
    const id = (await submit(host, { command: ['sleep', '9'] })).taskIds[0] as number;
    for (const action of ['stop', 'restart'] as const) {
      const answer = await vpsAction(host, id, action);
      expect({ status: answer.status, code: answer.error?.code }).toEqual({ status: 400, code: 'KAWA_ERR_NOT_A_VPS' });
    }
    expect((await vpsAction(host, 999, 'stop')).error?.code).toBe('KAWA_ERR_TASK_NOT_FOUND');
  });
});
