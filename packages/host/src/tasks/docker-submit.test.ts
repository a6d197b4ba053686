import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { routes, type SubmitTaskInput } from '@kawa/protocol';
import { errorOf, getTask, listTasks, submit } from '../testing/api.js';
import { BAD_ENV_NAMES, TEST_IMAGE } from '../testing/docker.js';
import { fakeTarball } from '../testing/env-files.js';
import { FakeRunner } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost, type TestHostOptions } from '../testing/test-host.js';

/** Submits of Docker tasks: env, image, mounts and --privileged, checked before anything is stored. */
describe('submitting Docker tasks', () => {
  let host: TestHost;
  afterEach(() => host.close());

  /** A test host; requests with `x-test-user` act as that user without admin rights. */
  function start(options: TestHostOptions = {}): TestHost {
    host = createTestHost(options);
    host.app.addHook('preHandler', (request, _reply, done) => {
      const user = request.headers['x-test-user'];
      if (typeof user === 'string' && request.principal)
        request.principal = { ...request.principal, user, admin: false };
      done();
    });
    return host;
  }

  /** The answer's status, and its error when it is one. */
  const post = async (body: SubmitTaskInput, headers: Record<string, string> = {}) => {
    const response = await host.app.inject({
      method: 'POST',
      url: routes.submitTasks.path,
      headers: { ...host.admin, ...headers },
      payload: body,
    });
    return response.statusCode === 201 ? { status: 201, error: null } : errorOf(response);
  };
  const noTasks = async (): Promise<void> => {
    expect((await listTasks(host)).total).toBe(0);
  };

  it('runs an image as given, with its mounts and privileged, and sends them to the runner', async () => {
    start({ config: { mount_allow_list: ['/data'] } });
    const runner = await FakeRunner.connect((await listen(host)).ws, host.tokens.joinToken);
    try {
      await runner.hello('node1');
      const mounts = [{ source: '/data/set', target: '/in', readOnly: true }];
      const { taskIds } = await submit(host, { command: ['true'], image: TEST_IMAGE, mounts, privileged: true });
      const start = await runner.next('task-start');
      expect(start.task).toMatchObject({
        id: taskIds[0],
        container: null,
        image: TEST_IMAGE,
        mounts,
        privileged: true,
      });
      expect(await getTask(host, taskIds[0] as number)).toMatchObject({
        container: null,
        image: TEST_IMAGE,
        mounts,
        privileged: true,
        syncProgress: null,
      });
    } finally {
      await runner.close();
    }
  });

  it('needs a finished tarball for an env: 404 ENV_NOT_FOUND with what to do, and no task', async () => {
    start();
    const env = 'team-env';
    const missing = await post({ command: ['true'], container: env });
    expect(missing).toMatchObject({ status: 404, error: { code: 'KAWA_ERR_ENV_NOT_FOUND' } });
    expect(missing.error?.message).toContain(`kawa docker tar create ${env}`);
    // A temp file of a tar create under way is not a tarball.
    const dir = join(host.config.shared_dir, 'containers', env);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.1700000000.tar.tmp-abc'), 'half');
    expect((await post({ command: ['true'], container: env })).status).toBe(404);
    await noTasks();

    fakeTarball(host, env);
    const { taskIds } = await submit(host, { command: ['true'], container: env });
    expect(await getTask(host, taskIds[0] as number)).toMatchObject({ container: env, image: null });
  });

  it('uses the default env when neither container nor image is given', async () => {
    start({ config: { default_container: 'base-env' } });
    const missing = await post({ command: ['true'] });
    expect(missing).toMatchObject({ status: 404, error: { code: 'KAWA_ERR_ENV_NOT_FOUND' } });
    expect(missing.error?.message).toMatch(/^the default env "base-env" \(host.default_container\) has no tarball/);
    fakeTarball(host, 'base-env');
    const { taskIds } = await submit(host, { command: ['true'] });
    expect(await getTask(host, taskIds[0] as number)).toMatchObject({ container: 'base-env', image: null });
  });

  it('allows mounts only within mount_allow_list, comparing whole path segments', async () => {
    start({ config: { mount_allow_list: ['/data', '/srv/shared/'] } });
    const withMount = (source: string) =>
      post({ command: ['true'], image: TEST_IMAGE, mounts: [{ source, target: '/in' }] });
    for (const source of ['/data2', '/dat', '/etc', '/srv/shared2/x', '/srv']) {
      const answer = await withMount(source);
      expect(answer, source).toMatchObject({ status: 403, error: { code: 'KAWA_ERR_MOUNT_NOT_ALLOWED' } });
    }
    await noTasks();
    for (const source of ['/data', '/data/x/y', '/srv/shared', '/srv/shared/a']) {
      expect((await withMount(source)).status, source).toBe(201);
    }
  });

  it('refuses any mount when the allow-list is empty, and mounts on a no-Docker task', async () => {
    start();
    const refused = await post({ command: ['true'], image: TEST_IMAGE, mounts: [{ source: '/tmp', target: '/in' }] });
    expect(refused).toMatchObject({ status: 403, error: { code: 'KAWA_ERR_MOUNT_NOT_ALLOWED' } });
    expect(refused.error?.message).toContain('host.mount_allow_list is empty');
    // The test host's default container is NULL: a mount cannot apply.
    const noDocker = await post({ command: ['true'], mounts: [{ source: '/tmp', target: '/in' }] });
    expect(noDocker).toMatchObject({ status: 400, error: { code: 'KAWA_ERR_BAD_MOUNT' } });
    await noTasks();
  });

  it('lets only admins run --privileged', async () => {
    start();
    const refused = await post({ command: ['true'], image: TEST_IMAGE, privileged: true }, { 'x-test-user': 'alice' });
    expect(refused).toMatchObject({ status: 403, error: { code: 'KAWA_ERR_FORBIDDEN' } });
    await noTasks();
    // The same user may still run unprivileged Docker tasks.
    expect((await post({ command: ['true'], image: TEST_IMAGE }, { 'x-test-user': 'alice' })).status).toBe(201);
    expect((await post({ command: ['true'], image: TEST_IMAGE, privileged: true })).status).toBe(201);
  });

  it.each(BAD_ENV_NAMES)('refuses container %j with 400 BAD_ENV_NAME and stores nothing', async (name) => {
    start();
    expect(await post({ command: ['true'], container: name })).toMatchObject({
      status: 400,
      error: { code: 'KAWA_ERR_BAD_ENV_NAME' },
    });
    await noTasks();
  });

  it('refuses an image that is not an image reference, and container with image', async () => {
    start();
    expect((await post({ command: ['true'], image: 'Not An Image' })).error?.code).toBe('KAWA_ERR_BAD_IMAGE');
    fakeTarball(host, 'team-env');
    expect((await post({ command: ['true'], image: TEST_IMAGE, container: 'team-env' })).status).toBe(400);
    await noTasks();
  });
});
