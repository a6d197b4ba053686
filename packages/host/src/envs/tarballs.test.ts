import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DeleteTarballResponseSchema,
  TarCreateEventSchema,
  TarballListResponseSchema,
  TarballMetaSchema,
  buildPath,
  envContainerName,
  envImageTag,
  routes,
  type TarCreateEvent,
} from '@kawa/protocol';
import { createHostContainer, errorOf } from '../testing/api.js';
import { BAD_ENV_NAMES, TEST_IMAGE, docker, dropEnv, runIn, uniqueEnv } from '../testing/docker.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';
import { PROGRESS_INTERVAL_MS } from './tarball-writer.js';

function parseLines(body: string): TarCreateEvent[] {
  return body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => TarCreateEventSchema.parse(JSON.parse(line)));
}

function lastOf(events: TarCreateEvent[]): TarCreateEvent {
  const last = events.at(-1);
  if (!last) throw new Error('the stream was empty');
  return last;
}

function doneOf(events: TarCreateEvent[]): Extract<TarCreateEvent, { type: 'done' }> {
  const last = lastOf(events);
  if (last.type !== 'done') throw new Error(`the stream ended with ${JSON.stringify(last)}`);
  return last;
}

describe('env tarballs', () => {
  let host: TestHost;
  const envs: string[] = [];

  afterEach(async () => {
    await host.close();
    for (const name of envs.splice(0)) await dropEnv(name);
  });

  /** A host whose shared dir holds `containers/`, and an env container made through the API. */
  async function setUp(config: Record<string, unknown> = {}): Promise<string> {
    host = createTestHost({ config });
    const name = uniqueEnv();
    envs.push(name);
    await createHostContainer(host, name, TEST_IMAGE);
    return name;
  }

  const envDir = (name: string): string => join(host.config.shared_dir, 'containers', name);
  const tarCreate = (name: string) =>
    host.app.inject({ method: 'POST', url: buildPath(routes.createTarball.path, { name }), headers: host.admin });
  const tarDelete = (name: string, version?: number) =>
    host.app.inject({
      method: 'DELETE',
      url: `${buildPath(routes.deleteTarball.path, { name })}${version === undefined ? '' : `?version=${version}`}`,
      headers: host.admin,
    });

  it('commits and saves one <ts>.tar with its metadata, streaming progress, and lists it', async () => {
    const name = await setUp();
    const before = Math.floor(Date.now() / 1000);
    const response = await tarCreate(name);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const events = parseLines(response.body);
    expect(events[0]).toEqual({ type: 'progress', phase: 'commit', doneBytes: 0, totalBytes: null });
    expect(events.filter((event) => event.type === 'progress' && event.phase === 'save').length).toBeGreaterThan(0);
    expect(events.filter((event) => event.type === 'done' || event.type === 'error')).toHaveLength(1);
    const done = doneOf(events);
    expect(done).toMatchObject({ name, removed: [] });
    const { version, bytes } = done.tarball;
    expect(version).toBeGreaterThanOrEqual(before);

    expect(readdirSync(envDir(name)).sort()).toEqual([`${version}.json`, `${version}.tar`]);
    const tarPath = join(envDir(name), `${version}.tar`);
    expect(statSync(tarPath).size).toBe(bytes);
    const meta = TarballMetaSchema.parse(JSON.parse(readFileSync(join(envDir(name), `${version}.json`), 'utf8')));
    const image = await docker.getImage(envImageTag(name)).inspect();
    expect(meta).toEqual({ imageId: image.Id, bytes, createdAt: done.tarball.createdAt });
    // It is what `docker save` writes: `docker load` restores the tag.
    const manifest = execFileSync('tar', ['-xOf', tarPath, 'manifest.json'], { encoding: 'utf8' });
    expect(manifest).toContain(`"kawa/${name}:base"`);

    const listed = TarballListResponseSchema.parse(
      (await host.app.inject({ method: 'GET', url: routes.listTarballs.path, headers: host.admin })).json(),
    );
    expect(listed.envs.find((entry) => entry.name === name)?.versions).toEqual([done.tarball]);
  });

  it('keeps env_tarballs_keep versions, gives same-second versions distinct numbers, and deletes', async () => {
    const name = await setUp({ env_tarballs_keep: 2 });
    const made: Extract<TarCreateEvent, { type: 'done' }>[] = [];
    for (let round = 0; round < 3; round++) made.push(doneOf(parseLines((await tarCreate(name)).body)));
    const [first, second, third] = made.map((done) => done.tarball.version) as [number, number, number];
    expect(second).toBeGreaterThan(first);
    expect(third).toBeGreaterThan(second);
    expect(made.map((done) => done.removed)).toEqual([[], [], [first]]);
    expect(readdirSync(envDir(name)).sort()).toEqual(
      [`${second}.json`, `${second}.tar`, `${third}.json`, `${third}.tar`].sort(),
    );

    // Temp files are never listed.
    writeFileSync(join(envDir(name), `.${third + 1}.tar.tmp-abc`), 'partial');
    const listed = TarballListResponseSchema.parse(
      (await host.app.inject({ method: 'GET', url: routes.listTarballs.path, headers: host.admin })).json(),
    );
    expect(listed.envs.find((entry) => entry.name === name)?.versions.map((each) => each.version)).toEqual([
      third,
      second,
    ]);

    expect(DeleteTarballResponseSchema.parse((await tarDelete(name, second)).json())).toEqual({
      name,
      deleted: [second],
    });
    expect(await errorOf(tarDelete(name, second))).toMatchObject({
      status: 404,
      error: { code: 'KAWA_ERR_TARBALL_NOT_FOUND' },
    });
    expect(DeleteTarballResponseSchema.parse((await tarDelete(name)).json()).deleted).toEqual([third]);
    expect(existsSync(join(envDir(name), `${third}.json`))).toBe(false);
    expect(await errorOf(tarDelete(name))).toMatchObject({ status: 404, error: { code: 'KAWA_ERR_ENV_NOT_FOUND' } });
  });

  it('never shows a partial tarball to a reader, and sends progress at most about 4 times a second', async () => {
    const name = await setUp();
    expect(await runIn(envContainerName(name), ['dd', 'if=/dev/urandom', 'of=/big', 'bs=1M', 'count=40'])).toBe(0);
    let finished = false;
    let sawTemp = false;
    const problems: string[] = [];
    const started = Date.now();
    const creating = tarCreate(name).finally(() => {
      finished = true;
    });
    while (!finished) {
      const files = existsSync(envDir(name)) ? readdirSync(envDir(name)) : [];
      if (files.some((file) => file.includes('.tmp-'))) sawTemp = true;
      for (const file of files.filter((each) => /^\d+\.tar$/.test(each))) {
        const version = file.replace('.tar', '');
        const size = statSync(join(envDir(name), file)).size;
        const metaPath = join(envDir(name), `${version}.json`);
        if (!existsSync(metaPath)) problems.push(`${file} without metadata`);
        else if (TarballMetaSchema.parse(JSON.parse(readFileSync(metaPath, 'utf8'))).bytes !== size)
          problems.push(`${file} seen at ${size} bytes`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const events = parseLines((await creating).body);
    const elapsed = Date.now() - started;
    expect(problems).toEqual([]);
    expect(sawTemp).toBe(true);
    const done = doneOf(events);
    expect(done.tarball.bytes).toBeGreaterThan(40e6);
    const saves = events.filter((event) => event.type === 'progress' && event.phase === 'save');
    expect(saves.length).toBeGreaterThanOrEqual(2);
    expect(saves.length).toBeLessThanOrEqual(elapsed / PROGRESS_INTERVAL_MS + 3);
    const last = saves.at(-1);
    expect(last).toMatchObject({ doneBytes: done.tarball.bytes });
    if (last?.type === 'progress') expect(last.totalBytes).toBeGreaterThanOrEqual(last.doneBytes);
  });

  it('runs two creates of one env one after the other, each making its own version', async () => {
    const name = await setUp();
    const answers = await Promise.all([tarCreate(name), tarCreate(name)]);
    const versions = answers.map((answer) => doneOf(parseLines(answer.body)).tarball.version);
    expect(new Set(versions).size).toBe(2);
    expect(readdirSync(envDir(name)).filter((file) => file.endsWith('.tar'))).toHaveLength(2);
  });

  it('removes the temp file and makes no version when the client leaves mid-save', async () => {
    const name = await setUp();
    expect(await runIn(envContainerName(name), ['dd', 'if=/dev/urandom', 'of=/big', 'bs=1M', 'count=60'])).toBe(0);
    const { http } = await listen(host);
    const controller = new AbortController();
    const response = await fetch(`${http}${buildPath(routes.createTarball.path, { name })}`, {
      method: 'POST',
      headers: host.admin,
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    // Read until the save has started, then hang up.
    let text = '';
    while (!text.includes('"phase":"save"')) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) throw new Error(`the stream ended early: ${text}`);
      text += Buffer.from(chunk.value).toString('utf8');
    }
    controller.abort();
    let files: string[] = ['?'];
    for (let tries = 0; tries < 200 && files.length > 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      files = readdirSync(envDir(name));
    }
    expect(files).toEqual([]);
  });

  it('answers a missing container with a plain JSON 404 before any stream', async () => {
    host = createTestHost();
    const name = uniqueEnv();
    const response = await tarCreate(name);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(await errorOf(response)).toMatchObject({ status: 404, error: { code: 'KAWA_ERR_CONTAINER_NOT_FOUND' } });
    expect(existsSync(envDir(name))).toBe(false);
  });

  it.each(BAD_ENV_NAMES)('refuses env name %j and writes nothing', async (name) => {
    host = createTestHost();
    const url = routes.createTarball.path.replace(':name', encodeURIComponent(name));
    const answer = await errorOf(host.app.inject({ method: 'POST', url, headers: host.admin }));
    // A bare ".." is resolved away by URL normalisation before routing: it never names an env.
    if (name === '..') expect(answer).toMatchObject({ status: 404, error: { code: 'KAWA_ERR_NOT_FOUND' } });
    else expect(answer).toMatchObject({ status: 400, error: { code: 'KAWA_ERR_BAD_ENV_NAME' } });
    expect(existsSync(join(host.config.shared_dir, 'containers'))).toBe(false);
  });
});
