import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HostContainerListResponseSchema,
  HostContainerSchema,
  buildPath,
  envContainerName,
  routes,
  type HostContainer,
} from '@kawa/protocol';
import { errorOf, submit } from '../testing/api.js';
import { BAD_ENV_NAMES, TEST_IMAGE, docker, dropEnv, uniqueEnv } from '../testing/docker.js';
import { createTestHost, type TestHost } from '../testing/test-host.js';

describe('host containers', () => {
  let host: TestHost;
  const envs: string[] = [];
  const env = (): string => {
    const name = uniqueEnv();
    envs.push(name);
    return name;
  };

  beforeEach(() => {
    host = createTestHost();
  });
  afterEach(async () => {
    await host.close();
    for (const name of envs.splice(0)) await dropEnv(name);
  });

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object): Promise<LightMyRequestResponse> =>
    host.app.inject({ method, url, headers: host.admin, ...(payload === undefined ? {} : { payload }) });
  const action = (name: string, verb: 'start' | 'stop') =>
    call('POST', `${buildPath(routes.deleteHostContainer.path, { name })}/${verb}`);
  const list = async (): Promise<HostContainer[]> =>
    HostContainerListResponseSchema.parse((await call('GET', routes.listHostContainers.path)).json()).containers;

  it('creates a running container that stays up, then lists, stops, starts and deletes it', async () => {
    const name = env();
    const created = await call('POST', routes.createHostContainer.path, { image: TEST_IMAGE, name });
    expect(created.statusCode).toBe(201);
    expect(HostContainerSchema.parse(created.json())).toMatchObject({ name, image: TEST_IMAGE, state: 'running' });

    // Like `docker run -itd`: the image's shell waits on its TTY instead of exiting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const inspected = await docker.getContainer(envContainerName(name)).inspect();
    expect(inspected.State.Running).toBe(true);
    expect(inspected.Config.Tty).toBe(true);
    expect(inspected.Config.OpenStdin).toBe(true);
    expect(inspected.Config.Labels).toMatchObject({ 'kawa.env': name });
    expect((await list()).find((container) => container.name === name)).toMatchObject({ state: 'running' });

    const stopped = await action(name, 'stop');
    expect(stopped.statusCode).toBe(200);
    expect(HostContainerSchema.parse(stopped.json()).state).toBe('exited');
    expect((await action(name, 'stop')).statusCode).toBe(200);
    const started = await action(name, 'start');
    expect(HostContainerSchema.parse(started.json()).state).toBe('running');

    const deleted = await call('DELETE', buildPath(routes.deleteHostContainer.path, { name }));
    expect(deleted.json()).toEqual({ name });
    expect((await list()).map((container) => container.name)).not.toContain(name);
    await expect(docker.getContainer(envContainerName(name)).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('keeps an image without a command up with /bin/sh on its TTY', async () => {
    const name = env();
    // `docker import` of the test image's files gives an image with no command at all.
    const image = `kawa-test/nocmd-${name}:latest`;
    const source = await docker.createContainer({ Image: TEST_IMAGE });
    try {
      const imported = await docker.importImage(await source.export(), {
        repo: `kawa-test/nocmd-${name}`,
        tag: 'latest',
      });
      await new Promise((resolve, reject) =>
        docker.modem.followProgress(imported, (error) => (error ? reject(error) : resolve(null))),
      );
      expect((await docker.getImage(image).inspect()).Config.Cmd).toBeNull();
      const created = await call('POST', routes.createHostContainer.path, { image, name });
      expect(HostContainerSchema.parse(created.json()).state).toBe('running');
      const inspected = await docker.getContainer(envContainerName(name)).inspect();
      expect(inspected.Config.Cmd).toEqual(['/bin/sh']);
    } finally {
      await source.remove({ force: true });
      await docker
        .getContainer(envContainerName(name))
        .remove({ force: true })
        .catch(() => undefined);
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  it('refuses a second container for the same env with 409', async () => {
    const name = env();
    expect((await call('POST', routes.createHostContainer.path, { image: TEST_IMAGE, name })).statusCode).toBe(201);
    const again = await errorOf(call('POST', routes.createHostContainer.path, { image: TEST_IMAGE, name }));
    expect(again).toMatchObject({ status: 409, error: { code: 'KAWA_ERR_CONTAINER_EXISTS' } });
  });

  it('never pulls: a missing image is 404 IMAGE_NOT_FOUND and nothing is created', async () => {
    const name = env();
    const image = `kawa-test/absent-${name}:none`;
    const answer = await errorOf(call('POST', routes.createHostContainer.path, { image, name }));
    expect(answer).toMatchObject({ status: 404, error: { code: 'KAWA_ERR_IMAGE_NOT_FOUND' } });
    expect(answer.error.message).toContain(`docker pull ${image}`);
    await expect(docker.getContainer(envContainerName(name)).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('answers unknown containers with 404 CONTAINER_NOT_FOUND, and leaves unlabelled ones alone', async () => {
    const name = env();
    for (const verb of ['start', 'stop'] as const) {
      expect(await errorOf(action(name, verb))).toMatchObject({
        status: 404,
        error: { code: 'KAWA_ERR_CONTAINER_NOT_FOUND' },
      });
    }
    // A container someone else named kawa-env-… is not Kawa's: not listed, not deleted.
    const foreign = await docker.createContainer({ name: envContainerName(name), Image: TEST_IMAGE });
    try {
      const deleted = await errorOf(call('DELETE', buildPath(routes.deleteHostContainer.path, { name })));
      expect(deleted.error.code).toBe('KAWA_ERR_CONTAINER_NOT_FOUND');
      expect((await list()).map((container) => container.name)).not.toContain(name);
      await foreign.inspect();
    } finally {
      await foreign.remove({ force: true });
    }
  });

  it.each(BAD_ENV_NAMES)('refuses env name %j with 400 BAD_ENV_NAME and creates nothing', async (name) => {
    const answer = await errorOf(call('POST', routes.createHostContainer.path, { image: TEST_IMAGE, name }));
    expect(answer).toMatchObject({ status: 400, error: { code: 'KAWA_ERR_BAD_ENV_NAME' } });
    const after = await docker.listContainers({ all: true, filters: { label: ['kawa.env'] } });
    expect(after.flatMap((container) => container.Names)).not.toContain(`/kawa-env-${name}`);
  });
});

describe('without Docker', () => {
  it('answers docker routes with 503 naming the socket, and still runs no-Docker tasks', async () => {
    const host = createTestHost({ config: { docker_socket: '/nonexistent/kawa-test/docker.sock' } });
    try {
      const answer = await errorOf(
        host.app.inject({ method: 'GET', url: routes.listHostContainers.path, headers: host.admin }),
      );
      expect(answer).toMatchObject({ status: 503, error: { code: 'KAWA_ERR_DOCKER_UNAVAILABLE' } });
      expect(answer.error.message).toContain('/nonexistent/kawa-test/docker.sock');
      const { taskIds } = await submit(host, { command: ['true'], container: 'NULL' });
      expect(taskIds).toHaveLength(1);
    } finally {
      await host.close();
    }
  });
});
