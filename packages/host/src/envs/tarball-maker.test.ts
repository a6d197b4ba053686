import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostConfigSchema, envContainerName, type TarCreateEvent } from '@kawa/protocol';
import { systemClock } from '../clock.js';
import { TEST_IMAGE, docker, dropEnv, uniqueEnv } from '../testing/docker.js';
import { createEnvServices, type EnvServices } from './services.js';

/** Takes the env's writer lock as a running tar create would; the returned call lets it go. */
function holdLock(envs: EnvServices, name: string): () => Promise<void> {
  let release = (): void => undefined;
  const held = envs.locks.run(
    name,
    new AbortController().signal,
    () => new Promise<void>((resolve) => (release = resolve)),
  );
  return () => {
    release();
    return held;
  };
}

/** The env services on their own, so a test can hold an env's writer lock itself. */
describe('tarball maker', () => {
  let dir: string;
  let envs: EnvServices;
  let name: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-maker-'));
    const config = HostConfigSchema.parse({ state_dir: join(dir, 'state'), shared_dir: join(dir, 'shared') });
    envs = createEnvServices({
      config,
      clock: systemClock,
      log: Fastify({ logger: { level: 'silent' } }).log,
      shutdown: new AbortController().signal,
    });
    name = uniqueEnv();
    await envs.containers.create(TEST_IMAGE, name);
  });
  afterEach(async () => {
    await dropEnv(name);
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues a create behind the env’s current writer, and fails it if the container went away meanwhile', async () => {
    const release = holdLock(envs, name);
    const events: TarCreateEvent[] = [];
    const stream = await envs.maker.create(name, new AbortController().signal);
    const consumed = (async () => {
      for await (const event of stream) events.push(event);
    })();
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Still waiting for the lock: not even the commit has begun.
    expect(events).toEqual([]);
    expect(envs.locks.isBusy(name)).toBe(true);

    await docker.getContainer(envContainerName(name)).remove({ force: true });
    await release();
    await expect(consumed).rejects.toMatchObject({ code: 'KAWA_ERR_CONTAINER_NOT_FOUND' });
    expect(events).toEqual([{ type: 'progress', phase: 'commit', doneBytes: 0, totalBytes: null }]);
    expect(envs.locks.isBusy(name)).toBe(false);
    // It failed at the commit, before the writer made the env's dir.
    expect(existsSync(join(dir, 'shared', 'containers', name))).toBe(false);
  });

  it('stops waiting for the lock when aborted, and the queue keeps its order', async () => {
    const release = holdLock(envs, name);
    const aborted = new AbortController();
    const order: string[] = [];
    const gaveUp = envs.locks.run(name, aborted.signal, () => {
      order.push('aborted one ran');
      return Promise.resolve();
    });
    const next = envs.locks.run(name, new AbortController().signal, () => {
      order.push('next');
      return Promise.resolve();
    });
    aborted.abort(new Error('client left'));
    await expect(gaveUp).rejects.toThrow('client left');
    expect(order).toEqual([]);
    await release();
    await next;
    expect(order).toEqual(['next']);
  });
});
