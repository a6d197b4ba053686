import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task, TaskEvent } from '@kawa/protocol';
import { startCluster, type Cluster } from './support/cluster.js';
import { docker, dropEnv, forgetEnvImage, loadsOf, makeEnv, TEST_IMAGE, uniqueEnv } from './support/docker.js';
import { getTask, submit, waitForStatus } from './support/tasks.js';

async function eventsOf(cluster: Cluster, id: number): Promise<TaskEvent[]> {
  return (await cluster.api<{ events: TaskEvent[] }>('GET', `/api/v1/tasks/${id}/events`)).body.events;
}

describe('env sync on the runner', () => {
  let cluster: Cluster;
  const envs: string[] = [];
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    for (const env of envs) await dropEnv(cluster, env);
    await cluster.stop();
  });

  it('loads a cold env exactly once for 20 tasks submitted at once, and all 20 complete', async () => {
    const env = uniqueEnv('burst');
    envs.push(env);
    await makeEnv(cluster, env);
    await forgetEnvImage(env);
    // 20 small tasks fit the node at once, so all 20 sync at the same time.
    const targets = Array.from({ length: 20 }, () => ['-t', cluster.node]).flat();
    const { taskIds } = await submit(cluster, [
      '--container',
      env,
      '-c',
      '0.05',
      ...targets,
      '--',
      'sh',
      '-c',
      'echo $KAWA_TASK_ID',
    ]);
    expect(taskIds).toHaveLength(20);
    const tasks: Task[] = [];
    for (const id of taskIds)
      tasks.push(await waitForStatus(cluster, id, ['completed', 'failed', 'killed', 'oom', 'lost'], 120_000));
    expect(tasks.map((task) => task.status)).toEqual(taskIds.map(() => 'completed'));
    expect(loadsOf(cluster, env)).toBe(1);
    // The runner's own events say who loaded and who waited.
    const messages = (await Promise.all(taskIds.map((id) => eventsOf(cluster, id)))).map(
      (events) => events.find((event) => event.to === 'syncing')?.message ?? '',
    );
    expect(messages.filter((message) => message.startsWith(`loading env ${env}`))).toHaveLength(1);
  });

  it('kills a task while it syncs: it never starts, and the env still loads for the next task', async () => {
    const env = uniqueEnv('slow');
    envs.push(env);
    const created = await cluster.kawa(['docker', 'container', 'create', TEST_IMAGE, env]);
    expect(created.code).toBe(0);
    // A 400 MB layer makes the load take seconds, long enough to kill the task during it.
    const filled = await cluster.kawa(
      ['docker', 'container', 'shell', env, '--', 'dd', 'if=/dev/urandom', 'of=/big', 'bs=1M', 'count=400'],
      { timeoutMs: 120_000 },
    );
    expect(filled.code).toBe(0);
    expect((await cluster.kawa(['docker', 'tar', 'create', env], { timeoutMs: 180_000 })).code).toBe(0);
    await forgetEnvImage(env);

    const { taskIds } = await submit(cluster, ['--container', env, '--', 'echo', 'should-not-run']);
    const id = taskIds[0] as number;
    const syncing = await waitForStatus(cluster, id, ['syncing'], 60_000);
    expect(syncing.status).toBe('syncing');
    expect((await cluster.kawa(['task', 'kill', String(id)])).code).toBe(0);
    const killed = await getTask(cluster, id);
    expect(killed.status).toBe('killed');
    expect((await eventsOf(cluster, id)).map((event) => event.to)).not.toContain('running');
    await expect(docker.getContainer(`kawa-task-${id}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await cluster.kawa(['task', 'logs', String(id)])).stdout).toBe('');

    const next = await submit(cluster, ['--container', env, '--', 'echo', 'ran']);
    const done = await waitForStatus(cluster, next.taskIds[0] as number, ['completed', 'failed'], 180_000);
    expect(done.status).toBe('completed');
  });

  it('fails the tasks of a corrupt tarball with a clear error, and never loads a half-written one', async () => {
    const env = uniqueEnv('corrupt');
    envs.push(env);
    const dir = join(cluster.home, '.kawa/shared/containers', env);
    mkdirSync(dir, { recursive: true });
    // Only a temp file: the tarball is not finished, so the env does not exist yet.
    writeFileSync(join(dir, '.1700000000.tar.tmp-abc'), 'half');
    const early = await cluster.kawa(['task', 'submit', '--container', env, '--', 'true']);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/KAWA_ERR_ENV_NOT_FOUND/);

    writeFileSync(join(dir, '1700000001.tar'), 'this is not a tar archive\n'.repeat(100));
    const { taskIds } = await submit(cluster, ['--container', env, '--', 'true']);
    const task = await waitForStatus(cluster, taskIds[0] as number, ['failed'], 60_000);
    expect(task.reason).toMatch(/1700000001\.tar/);
    const events = await eventsOf(cluster, task.id);
    expect(events.at(-1)?.message ?? '').toMatch(/tar create/);
    const status = await cluster.kawa(['task', 'status', String(task.id), '--json']);
    expect(status.stdout).toMatch(/1700000001\.tar/);
  });
});

describe('bad input is refused with a coded 4xx and creates nothing', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ env: { KAWA_HOST_MOUNT_ALLOW_LIST: '/srv/kawa-allowed' } });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  const badNames = ['a/b', '../up', 'a..b', 'has space', 'Upper', 'x'.repeat(65)];

  it.each(badNames)('env name %j', async (name) => {
    const container = await cluster.api<{ error: { code: string } }>('POST', '/api/v1/docker/containers', {
      image: TEST_IMAGE,
      name,
    });
    expect(container.status).toBe(400);
    expect(container.body.error.code).toBe('KAWA_ERR_BAD_ENV_NAME');
    const task = await cluster.api<{ error: { code: string } }>('POST', '/api/v1/tasks', {
      command: ['true'],
      container: name,
    });
    expect(task.status).toBe(400);
    expect(task.body.error.code).toBe('KAWA_ERR_BAD_ENV_NAME');
    const cli = await cluster.kawa(['docker', 'container', 'create', TEST_IMAGE, name]);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/KAWA_ERR_BAD_ENV_NAME/);
  });

  it('mounts outside the allow-list, or not normalised', async () => {
    const outside = await cluster.api<{ error: { code: string } }>('POST', '/api/v1/tasks', {
      command: ['true'],
      image: TEST_IMAGE,
      mounts: [{ source: '/etc', target: '/host-etc' }],
    });
    expect(outside.status).toBe(403);
    expect(outside.body.error.code).toBe('KAWA_ERR_MOUNT_NOT_ALLOWED');
    const sibling = await cluster.api<{ error: { code: string } }>('POST', '/api/v1/tasks', {
      command: ['true'],
      image: TEST_IMAGE,
      mounts: [{ source: '/srv/kawa-allowed-not', target: '/x' }],
    });
    expect(sibling.body.error.code).toBe('KAWA_ERR_MOUNT_NOT_ALLOWED');
    const escape = await cluster.kawa([
      'task',
      'submit',
      '--image',
      TEST_IMAGE,
      '--mount',
      '/srv/kawa-allowed/../../etc:/x',
      '--',
      'true',
    ]);
    expect(escape.code).not.toBe(0);
    expect(escape.stderr).toMatch(/KAWA_ERR_BAD_MOUNT/);
    const cli = await cluster.kawa(['task', 'submit', '--image', TEST_IMAGE, '--mount', '/etc:/x', '--', 'true']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/KAWA_ERR_MOUNT_NOT_ALLOWED/);
  });

  it('an unknown env', async () => {
    const unknown = await cluster.api<{ error: { code: string } }>('POST', '/api/v1/tasks', {
      command: ['true'],
      container: uniqueEnv('missing'),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('KAWA_ERR_ENV_NOT_FOUND');
  });

  it('left no task and no container behind', async () => {
    const tasks = await cluster.api<{ total: number }>('GET', '/api/v1/tasks');
    expect(tasks.body.total).toBe(0);
    const containers = await docker.listContainers({ all: true, filters: { name: ['kawa-env-'] } });
    const names = containers.flatMap((container) => container.Names);
    for (const bad of badNames) expect(names).not.toContain(`/kawa-env-${bad}`);
  });
});
