import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envImageTag, tarballFileName, type TaskEventFrame } from '@kawa/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dockerReady,
  forgetEnvImage,
  makeEnvTarball,
  startDockerHarness,
  testDocker,
  uniqueEnv,
  uniqueTaskId,
  type DockerHarness,
} from '../testing/docker-harness.js';
import { taskSpec } from '../testing/executor-harness.js';
import { waitFor } from '../testing/wait-for.js';
import { envTarballDir } from './tarballs.js';

const ready = await dockerReady();

const harnesses: DockerHarness[] = [];
const envs: string[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
  for (const env of envs.splice(0)) await forgetEnvImage(env);
});

async function start(): Promise<DockerHarness> {
  const harness = await startDockerHarness();
  harnesses.push(harness);
  return harness;
}

function newEnv(prefix: string): string {
  const env = uniqueEnv(prefix);
  envs.push(env);
  return env;
}

const envTask = (env: string, command: string[] = ['sh', '-c', 'echo $KAWA_TASK_ID']) =>
  taskSpec(uniqueTaskId(), command, { container: env });

const syncingMessage = (h: DockerHarness, taskId: number): string | null | undefined =>
  h.events.find((event) => event.taskId === taskId && event.status === 'syncing')?.message;

const loadLines = (h: DockerHarness, env: string): string[] =>
  h.logs.filter((line) => line.includes(`loading env ${env} from `));

const finals: TaskEventFrame['status'][] = ['completed', 'failed', 'killed', 'oom'];

describe.skipIf(!ready)('env sync on the real engine', () => {
  it('loads a cold env exactly once for 20 tasks started at once, and all 20 complete', async () => {
    const h = await start();
    const env = newEnv('burst');
    const version = 1_700_000_000;
    const { path } = await makeEnvTarball(h.sharedDir, env, version);
    const bytes = (await readFile(path)).length;
    // Held until every task waits on the load, so leader and followers are certain.
    const gate = h.engine.hold();
    const specs = Array.from({ length: 20 }, () => envTask(env));
    for (const spec of specs) h.executor.start(spec);
    for (const spec of specs) await h.event(spec.id, ['syncing']);
    gate.release();
    for (const spec of specs) expect(await h.event(spec.id, finals)).toMatchObject({ status: 'completed' });

    expect(h.engine.loads).toBe(1);
    expect(loadLines(h, env)).toHaveLength(1);
    expect(loadLines(h, env)[0]).toMatch(
      new RegExp(` kawa-runner info: loading env ${env} from ${path} \\(${bytes} bytes\\)\\n$`),
    );
    const messages = specs.map((spec) => syncingMessage(h, spec.id));
    expect(messages.filter((message) => message === `loading env ${env} (tarball ${version})`)).toHaveLength(1);
    expect(messages.filter((message) => message === `waiting for env ${env}: another task is loading it`)).toHaveLength(
      19,
    );
    for (const spec of specs)
      expect(await readFile(join(h.sharedDir, 'logs', String(spec.id), 'stdout.log'), 'utf8')).toBe(`${spec.id}\n`);

    // Followers first wait, then share the load's progress, which ends at 100 %.
    const follower = specs.find((spec) => syncingMessage(h, spec.id)?.startsWith('waiting')) as (typeof specs)[0];
    const frames = h.progress.filter((frame) => frame.taskId === follower.id).map((frame) => frame.progress);
    expect(frames[0]).toEqual({ what: env, phase: 'waiting', doneBytes: 0, totalBytes: bytes });
    expect(frames.at(-1)).toEqual({ what: env, phase: 'loading', doneBytes: bytes, totalBytes: bytes });

    // The env is fresh now: the next task starts without syncing (the runner's own record says so).
    const next = envTask(env);
    h.executor.start(next);
    expect(await h.event(next.id, finals)).toMatchObject({ status: 'completed' });
    expect(syncingMessage(h, next.id)).toBeUndefined();
    expect(h.engine.loads).toBe(1);
    const record = JSON.parse(await readFile(join(h.stateDir, 'envs', `${env}.json`), 'utf8')) as unknown;
    expect(record).toMatchObject({ version, bytes });
  });

  it('skips the load when the local image has the id in the tarball metadata, and reloads a newer tarball', async () => {
    const h = await start();
    const env = newEnv('meta');
    const { imageId } = await makeEnvTarball(h.sharedDir, env, 1_700_000_010, { meta: true });
    const [repo = '', tag = ''] = envImageTag(env).split(':');
    await testDocker.getImage(imageId).tag({ repo, tag });
    const first = envTask(env);
    h.executor.start(first);
    expect(await h.event(first.id, finals)).toMatchObject({ status: 'completed' });
    expect(h.engine.loads).toBe(0);

    // A newer tarball without metadata: this runner has never loaded it, so it loads.
    await makeEnvTarball(h.sharedDir, env, 1_700_000_020);
    const second = envTask(env);
    h.executor.start(second);
    expect(await h.event(second.id, finals)).toMatchObject({ status: 'completed' });
    expect(syncingMessage(h, second.id)).toBe(`loading env ${env} (tarball 1700000020)`);
    expect(h.engine.loads).toBe(1);
  });

  it('ignores half-written temp files: alone they are no env, beside a tarball they are skipped', async () => {
    const h = await start();
    const env = newEnv('half');
    const dir = envTarballDir(h.sharedDir, env);
    await makeEnvTarball(h.sharedDir, env, 1_700_000_100);
    // Newer names, but not finished tarballs: never loaded (they are not even tar files).
    await writeFile(join(dir, '.1700000200.tar.tmp-abc'), 'half');
    await writeFile(join(dir, '1700000300.tar.part'), 'half');
    const spec = envTask(env);
    h.executor.start(spec);
    expect(await h.event(spec.id, finals)).toMatchObject({ status: 'completed' });
    expect(syncingMessage(h, spec.id)).toBe(`loading env ${env} (tarball 1700000100)`);

    const lonely = newEnv('lonely');
    await makeEnvTarball(h.sharedDir, lonely, 1_700_000_100);
    await writeFile(join(envTarballDir(h.sharedDir, lonely), '.1700000400.tar.tmp-1'), 'half');
    await rm(join(envTarballDir(h.sharedDir, lonely), tarballFileName(1_700_000_100)));
    const orphan = envTask(lonely);
    h.executor.start(orphan);
    expect(await h.event(orphan.id, finals)).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_ENV_NOT_FOUND' });
  });

  it('fails every task waiting on a corrupt tarball with KAWA_ERR_ENV_SYNC_FAILED, naming it', async () => {
    const h = await start();
    const env = newEnv('corrupt');
    const dir = envTarballDir(h.sharedDir, env);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '1700000001.tar'), 'this is not a tar archive\n'.repeat(100));
    const gate = h.engine.hold();
    const specs = [envTask(env), envTask(env), envTask(env)];
    for (const spec of specs) h.executor.start(spec);
    for (const spec of specs) await h.event(spec.id, ['syncing']);
    gate.release();
    for (const spec of specs) {
      const failed = await h.event(spec.id, finals);
      expect(failed).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_ENV_SYNC_FAILED', exitCode: null });
      expect(failed.message).toContain(join(dir, '1700000001.tar'));
      expect(failed.message).toMatch(new RegExp(`run kawa docker tar create ${env} again`));
    }
    expect(h.engine.loads).toBe(1);
  });

  it('fails a task whose env has no tarball with KAWA_ERR_ENV_NOT_FOUND', async () => {
    const h = await start();
    const env = newEnv('missing');
    const spec = envTask(env);
    h.executor.start(spec);
    const failed = await h.event(spec.id, finals);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_ENV_NOT_FOUND' });
    expect(failed.message).toMatch(new RegExp(`env ${env} has no tarball.*kawa docker tar create ${env}`));
    expect(h.engine.loads).toBe(0);
  });

  it('fails an image it cannot pull with KAWA_ERR_ENV_SYNC_FAILED, after reporting the pull', async () => {
    const h = await start();
    // Port 1 on loopback refuses at once: the failure path without any registry.
    const spec = taskSpec(uniqueTaskId(), ['true'], { image: '127.0.0.1:1/none:x' });
    h.executor.start(spec);
    const failed = await h.event(spec.id, finals);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_ENV_SYNC_FAILED' });
    expect(failed.message).toMatch(/cannot pull image 127\.0\.0\.1:1\/none:x: .*connection refused/);
    expect(syncingMessage(h, spec.id)).toBe('pulling image 127.0.0.1:1/none:x');
    await waitFor(() => h.progress.some((frame) => frame.taskId === spec.id), 'the pulling progress');
    expect(h.progress.find((frame) => frame.taskId === spec.id)?.progress).toMatchObject({ phase: 'pulling' });
  });
});
