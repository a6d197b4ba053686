import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { HostConfigSchema, envImageTag } from '@kawa/protocol';
import { getTask, submit } from '../testing/api.js';
import { TEST_IMAGE, docker, dropEnv, uniqueEnv } from '../testing/docker.js';
import { createTestHost } from '../testing/test-host.js';
import { systemClock } from '../clock.js';
import { createEnvServices, type EnvServices } from './services.js';

interface LogLine {
  level: number;
  msg: string;
}
const WARN = 40;
const INFO = 30;

describe('the default env', () => {
  const dirs: string[] = [];
  const envs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    for (const env of envs.splice(0)) await dropEnv(env);
  });

  /** Env services for a default env named `env`, with every log line kept. */
  function servicesFor(config: Record<string, unknown>): { services: EnvServices; lines: LogLine[]; shared: string } {
    const dir = mkdtempSync(join(tmpdir(), 'kawa-default-env-'));
    dirs.push(dir);
    const lines: LogLine[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString('utf8')) as LogLine);
        callback();
      },
    });
    const log = Fastify({ logger: { level: 'debug', stream } }).log;
    const parsed = HostConfigSchema.parse({
      state_dir: join(dir, 'state'),
      shared_dir: join(dir, 'shared'),
      ...config,
    });
    return {
      services: createEnvServices({ config: parsed, clock: systemClock, log, shutdown: new AbortController().signal }),
      lines,
      shared: parsed.shared_dir,
    };
  }

  it('packs a locally present image as its first tarball, tagged kawa/<env>:base', async () => {
    const env = uniqueEnv();
    envs.push(env);
    const { services, lines, shared } = servicesFor({ default_container: env, default_env_image: TEST_IMAGE });
    expect(await services.defaultEnv.ensure(new AbortController().signal)).toMatchObject({ state: 'ready' });

    const files = readdirSync(join(shared, 'containers', env));
    expect(files.filter((file) => /^\d+\.tar$/.test(file))).toHaveLength(1);
    const [tarball] = await services.tarballs.versions(env);
    const image = await docker.getImage(envImageTag(env)).inspect();
    expect(tarball?.imageId).toBe(image.Id);
    const info = lines.filter((line) => line.level === INFO).map((line) => line.msg);
    expect(info).toContain(
      `default env "${env}" packed from image ${TEST_IMAGE} as ${join(shared, 'containers', env, `${tarball?.version}.tar`)} (${tarball?.bytes} bytes)`,
    );
    await services.check.requireEnv(env);

    // A second start finds the tarball and leaves it alone.
    const again = servicesFor({ default_container: env, default_env_image: TEST_IMAGE, shared_dir: shared });
    expect(await again.services.defaultEnv.ensure(new AbortController().signal)).toMatchObject({ state: 'ready' });
    expect((await again.services.tarballs.versions(env)).map((each) => each.version)).toEqual([tarball?.version]);
    expect(again.lines.filter((line) => line.level >= WARN)).toEqual([]);
  });

  it('says plainly that the image is absent, and submit quotes it', async () => {
    const env = uniqueEnv();
    const image = `kawa-test/absent-${env}:none`;
    const { services, lines, shared } = servicesFor({ default_container: env, default_env_image: image });
    expect(await services.defaultEnv.ensure(new AbortController().signal)).toMatchObject({ state: 'missing' });
    const reason =
      `image ${image} is not present locally; run docker pull ${image} (or set host.default_env_image), ` +
      `or create an env with kawa docker container create IMAGE ${env} and kawa docker tar create ${env}; ` +
      'tasks without --container fail until then';
    expect(lines.filter((line) => line.level === WARN).map((line) => line.msg)).toEqual([
      `default env "${env}" has no tarball: ${reason}`,
    ]);
    await expect(services.check.requireEnv(env)).rejects.toMatchObject({
      code: 'KAWA_ERR_ENV_NOT_FOUND',
      message: `the default env "${env}" (host.default_container) has no tarball: ${reason}`,
    });
    expect(existsSync(join(shared, 'containers', env))).toBe(false);
  });

  it('says so when Docker is absent', async () => {
    const env = uniqueEnv();
    const socket = '/nonexistent/kawa-test/docker.sock';
    const { services, lines } = servicesFor({ default_container: env, docker_socket: socket });
    await services.defaultEnv.ensure(new AbortController().signal);
    expect(lines.filter((line) => line.level === WARN).map((line) => line.msg)).toEqual([
      `default env "${env}" has no tarball: Docker does not answer on ${socket}, so image debian:bookworm-slim ` +
        'could not be packed; start Docker and restart the host, or submit with --container NULL; ' +
        'tasks without --container fail until then',
    ]);
  });

  it('is built in the background on start; a submit right away waits for it and runs there', async () => {
    const env = uniqueEnv();
    envs.push(env);
    const host = createTestHost({
      config: { default_container: env, default_env_image: TEST_IMAGE },
      buildDefaultEnv: true,
    });
    try {
      await host.app.ready();
      const { taskIds } = await submit(host, { command: ['true'] });
      expect(await getTask(host, taskIds[0] as number)).toMatchObject({ container: env, image: null });
      expect(readdirSync(join(host.config.shared_dir, 'containers', env)).some((file) => file.endsWith('.tar'))).toBe(
        true,
      );
    } finally {
      await host.close();
    }
  });
});
