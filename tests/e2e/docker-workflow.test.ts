import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { KAWA_BIN, startCluster, type Cluster } from './support/cluster.js';
import { docker, dropEnv, forgetEnvImage, loadsOf, TEST_IMAGE, uniqueEnv } from './support/docker.js';
import { submit } from './support/tasks.js';
import { startTmux, type Tmux } from './support/tmux.js';

/**
 * The whole environment workflow as a user runs it: create an env container, shell into it
 * through the WebSocket TTY from a real terminal (tmux), pack it, and run a task in it on a
 * node that has never loaded it.
 */
describe('docker environments: create, shell, tar, run', () => {
  let cluster: Cluster;
  let tmux: Tmux | null = null;
  const env = uniqueEnv('wf');

  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await tmux?.close();
    await dropEnv(cluster, env);
    await cluster.stop();
  });

  it('creates the env container from a local image', async () => {
    const created = await cluster.kawa(['docker', 'container', 'create', TEST_IMAGE, env]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const listed = await cluster.kawa(['docker', 'container', 'list', '--json']);
    const containers = (JSON.parse(listed.stdout) as { containers: { name: string; state: string }[] }).containers;
    expect(containers).toContainEqual(expect.objectContaining({ name: env, state: 'running' }));
  });

  it('shells in like docker exec -it: files persist, Ctrl-C reaches the container, exit returns', async () => {
    tmux = await startTmux({
      env: { HOME: cluster.home, PATH: process.env.PATH ?? '/usr/bin:/bin', KAWA_OUTER: 'outer-shell', PS1: 'outer$ ' },
      command: ['bash', '--norc', '--noprofile'],
    });
    await tmux.waitFor(/outer\$ $/m);
    await tmux.type(`${process.execPath} ${KAWA_BIN} docker container shell ${env}`);
    await tmux.waitFor(/# $/m);
    await tmux.type('echo made-in-the-shell > /opt/kawa-file; echo "inside-$((40+2))-$KAWA_OUTER"');
    // The container has no KAWA_OUTER: this line ran in the container, not the outer shell.
    await tmux.waitFor(/^inside-42-$/m);
    await tmux.type('sleep 30');
    await tmux.keys('C-c');
    await tmux.type('echo "status=$?"');
    await tmux.waitFor(/^status=130$/m, 10_000);
    await tmux.type('exit');
    // As in any terminal, keys typed before the outer prompt is back would go to the ending shell.
    await tmux.waitFor(/# exit\s*\n(outer\$ *\n)*outer\$ *$/m);
    await tmux.type('echo "back-in-$KAWA_OUTER"');
    await tmux.waitFor(/^back-in-outer-shell$/m);
  });

  it('packs the env into a tarball with progress, and a cold node runs a task in it', async () => {
    const packed = await cluster.kawa(['docker', 'tar', 'create', env], { timeoutMs: 120_000 });
    expect(packed.code).toBe(0);
    expect(packed.stdout).toMatch(new RegExp(`created ${env} version \\d+`));
    const listed = await cluster.kawa(['docker', 'tar', 'list', '--json']);
    const envs = (JSON.parse(listed.stdout) as { envs: { name: string; versions: unknown[] }[] }).envs;
    expect(envs.find((entry) => entry.name === env)?.versions).toHaveLength(1);

    // The node forgets the image: it must load the tarball before the task can start.
    await forgetEnvImage(env);
    await expect(docker.getImage(`kawa/${env}:base`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const { taskIds } = await submit(cluster, ['--container', env, '--', 'cat', '/opt/kawa-file']);
    const id = taskIds[0] as number;
    const waited = await cluster.kawa(['task', 'wait', String(id)], { timeoutMs: 120_000 });
    expect(waited.code).toBe(0);
    const logs = await cluster.kawa(['task', 'logs', String(id)]);
    expect(logs.stdout).toBe('made-in-the-shell\n');
    expect(loadsOf(cluster, env)).toBe(1);
    const events = await cluster.api<{ events: { to: Task['status']; message: string | null }[] }>(
      'GET',
      `/api/v1/tasks/${id}/events`,
    );
    expect(events.body.events.map((event) => event.to)).toEqual([
      'pending',
      'assigned',
      'syncing',
      'running',
      'completed',
    ]);
  });
});

describe('the default env', () => {
  it('is built from the configured base image on first start, so tasks need no --container', async () => {
    const env = uniqueEnv('default');
    const cluster = await startCluster({
      env: { KAWA_HOST_DEFAULT_CONTAINER: env, KAWA_HOST_DEFAULT_ENV_IMAGE: TEST_IMAGE },
    });
    try {
      const run = await cluster.kawa(['task', 'submit', '--wait', '--', 'sh', '-c', 'echo "in $KAWA_SHARED_DIR"'], {
        timeoutMs: 120_000,
      });
      expect(run.stderr).not.toMatch(/error/);
      expect(run.code).toBe(0);
      const tasks = await cluster.api<{ tasks: Task[] }>('GET', '/api/v1/tasks');
      const task = tasks.body.tasks[0] as Task;
      expect(task).toMatchObject({ container: env, status: 'completed' });
      expect((await cluster.kawa(['task', 'logs', String(task.id)])).stdout).toBe('in /shared\n');
    } finally {
      await cluster.kawa(['docker', 'tar', 'delete', env]).catch(() => undefined);
      await forgetEnvImage(env);
      await cluster.stop();
    }
  });

  it('says plainly when the base image is missing, and tasks without --container get a coded error', async () => {
    const cluster = await startCluster({
      env: { KAWA_HOST_DEFAULT_CONTAINER: uniqueEnv('nobase'), KAWA_HOST_DEFAULT_ENV_IMAGE: 'kawa-test/absent:none' },
    });
    try {
      const run = await cluster.kawa(['task', 'submit', '--', 'true']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/KAWA_ERR_ENV_NOT_FOUND/);
      expect(run.stderr).toMatch(/kawa-test\/absent:none is not present locally/);
      expect(cluster.daemonLog()).toMatch(/kawa-test\/absent:none is not present locally/);
      const tasks = await cluster.api<{ total: number }>('GET', '/api/v1/tasks');
      expect(tasks.body.total).toBe(0);
    } finally {
      await cluster.stop();
    }
  });
});
