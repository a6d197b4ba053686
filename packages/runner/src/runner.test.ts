import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelloFrameSchema, RunnerConfigSchema, type RunnerConfig, type TaskSpec } from '@kawa/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startRunnerWith, type RunningRunner } from './runner.js';
import {
  dockerReady,
  forgetEnvImage,
  makeEnvTarball,
  TEST_IMAGE,
  uniqueEnv,
  uniqueTaskId,
} from './testing/docker-harness.js';
import { taskSpec, TEST_CGROUP_PARENT } from './testing/executor-harness.js';
import { FakeHost } from './testing/fake-host.js';
import { FAKE_BANNER, fakeSshdImage, TEST_PUBLIC_KEY } from './testing/fake-sshd-image.js';
import { waitFor } from './testing/wait-for.js';

const isRoot = process.getuid?.() === 0;
const dockerUp = await dockerReady();

let host: FakeHost | null = null;
let runner: RunningRunner | null = null;
let root: string | null = null;
const envs: string[] = [];
afterEach(async () => {
  await runner?.close();
  await host?.close();
  if (root !== null) await rm(root, { recursive: true, force: true });
  runner = host = root = null;
  for (const env of envs.splice(0)) await forgetEnvImage(env);
});

async function setup(
  configOverrides: Partial<RunnerConfig> = {},
): Promise<{ host: FakeHost; config: RunnerConfig; url: string }> {
  root = await mkdtemp(join(tmpdir(), 'kawa-runner-'));
  host = new FakeHost();
  const url = await host.listen();
  const config = RunnerConfigSchema.parse({
    name: `unit-${randomBytes(3).toString('hex')}`,
    host_url: url,
    join_token: 'join-secret',
    state_dir: join(root, 'state'),
    shared_dir: join(root, 'shared'),
    local_temp_dir: join(root, 'temp'),
    cgroup_parent: TEST_CGROUP_PARENT,
    reconnect_max_delay: 1,
    ...configOverrides,
  });
  return { host, config, url };
}

async function start(
  configOverrides: Partial<RunnerConfig> = {},
): Promise<{ host: FakeHost; config: RunnerConfig; runner: RunningRunner }> {
  const { host, config } = await setup(configOverrides);
  runner = await startRunnerWith({ config, logLevel: 'silent' }, {});
  await runner.connected;
  return { host, config, runner };
}

const taskStart = (task: TaskSpec) => ({ type: 'task-start' as const, task });
const statusesOf = (h: FakeHost, taskId: number): string[] =>
  h
    .of('task-event')
    .filter((frame) => frame.taskId === taskId)
    .map((frame) => frame.status);

describe.skipIf(!isRoot)('runner', () => {
  it('says hello with its resources and runs a task to completion', async () => {
    const { host, config, runner } = await start();
    expect(runner.name).toBe(config.name);
    const hello = HelloFrameSchema.parse(host.frames[0]);
    expect(hello).toMatchObject({ name: config.name, version: '1', liveTasks: [] });
    expect(hello.resources.cores).toBeGreaterThan(0);
    expect(hello.resources.numa.length).toBeGreaterThan(0);
    expect(host.authorizations).toEqual(['Bearer join-secret']);

    host.send(taskStart(taskSpec(1, ['sh', '-c', 'echo hello from $KAWA_TASK_ID'], { cores: 1 })));
    await waitFor(() => statusesOf(host, 1).includes('completed'), 'task 1 to complete');
    expect(statusesOf(host, 1)).toEqual(['running', 'completed']);
    expect(await readFile(join(config.shared_dir, 'logs/1/stdout.log'), 'utf8')).toBe('hello from 1\n');
    // The record goes once the host has the final event.
    await waitFor(async () => (await readdir(join(config.state_dir, 'tasks'))).length === 0, 'the task record to go');
  });

  it.skipIf(!dockerUp)(
    'runs env and image tasks in containers, with sync progress, and routes their controls',
    async () => {
      const { host, config } = await start();
      const env = uniqueEnv('runner');
      envs.push(env);
      await makeEnvTarball(config.shared_dir, env, 1_700_000_000);
      const fromEnv = taskSpec(uniqueTaskId(), ['sh', '-c', 'echo in $KAWA_TASK_ID'], { container: env });
      const fromImage = taskSpec(uniqueTaskId(), ['sleep', '300'], { image: TEST_IMAGE });
      host.send(taskStart(fromEnv));
      host.send(taskStart(fromImage));
      await waitFor(() => statusesOf(host, fromEnv.id).includes('completed'), 'the env task to complete', 15_000);
      expect(statusesOf(host, fromEnv.id)).toEqual(['syncing', 'running', 'completed']);
      const progress = host.of('task-progress').filter((frame) => frame.taskId === fromEnv.id);
      expect(progress.at(-1)?.progress).toMatchObject({ what: env, phase: 'loading' });
      expect(progress.at(-1)?.progress.doneBytes).toBe(progress.at(-1)?.progress.totalBytes);
      expect(await readFile(join(config.shared_dir, `logs/${fromEnv.id}/stdout.log`), 'utf8')).toBe(
        `in ${fromEnv.id}\n`,
      );

      await waitFor(() => statusesOf(host, fromImage.id).includes('running'), 'the image task to run', 15_000);
      host.send({ type: 'task-control', requestId: 1, taskId: fromImage.id, action: 'pause' });
      host.send({ type: 'task-control', requestId: 2, taskId: fromImage.id, action: 'kill' });
      await waitFor(() => host.of('command-result').length === 2, 'both results', 15_000);
      expect(host.of('command-result').map((frame) => frame.ok)).toEqual([true, true]);
      expect(statusesOf(host, fromImage.id)).toEqual(['running', 'paused', 'killed']);
      // As for no-Docker tasks, the records go once the host has the final events.
      await waitFor(
        async () => (await readdir(join(config.state_dir, 'tasks'))).length === 0,
        'the task records to go',
      );
    },
  );

  it.skipIf(!dockerUp)(
    'runs a VPS over the link: streams dialled back, listed live after a drop, stopped and started again',
    async () => {
      const { host, config } = await start();
      const vps = taskSpec(uniqueTaskId(), ['not-run'], {
        kind: 'vps',
        publicKey: TEST_PUBLIC_KEY,
        image: await fakeSshdImage(),
      });
      const noDocker = taskSpec(8, ['sleep', '60'], { cores: 1 });
      host.send(taskStart(vps));
      host.send(taskStart(noDocker));
      await waitFor(() => statusesOf(host, vps.id).includes('running'), 'the VPS to run', 15_000);
      await waitFor(() => statusesOf(host, noDocker.id).includes('running'), 'the no-Docker task to run');

      const stream = (kind: 'ssh' | 'terminal', taskId: number, command: string[] | null = null) => {
        const streamId = randomBytes(12).toString('base64url');
        return {
          streamId,
          frame: { type: 'stream-open' as const, streamId, taskId, kind, cols: 80, rows: 24, command, raw: false },
        };
      };
      const ssh = stream('ssh', vps.id);
      expect(await host.request(ssh.frame)).toMatchObject({ ok: true, error: null });
      const sshStream = await host.stream(ssh.streamId);
      await sshStream.until(FAKE_BANNER);
      const keys = stream('terminal', vps.id, ['cat', '/root/.ssh/authorized_keys']);
      expect(await host.request(keys.frame)).toMatchObject({ ok: true });
      const keysStream = await host.stream(keys.streamId);
      expect((await keysStream.closed).code).toBe(1000);
      expect(keysStream.bytes().toString()).toContain(TEST_PUBLIC_KEY);
      expect(keysStream.texts).toEqual([{ type: 'exit', exitCode: 0 }]);
      expect(await host.request(stream('terminal', noDocker.id).frame)).toMatchObject({
        ok: false,
        error: {
          code: 'KAWA_ERR_INVALID_STATE',
          message: 'task 8 runs without Docker (--container NULL); terminals need a Docker task',
        },
      });
      expect(await host.request(stream('ssh', 9999).frame)).toMatchObject({
        ok: false,
        error: { code: 'KAWA_ERR_TASK_NOT_FOUND' },
      });

      // After a drop, hello lists the VPS as live, like any task.
      host.connections[0]?.terminate();
      await waitFor(() => host.of('hello').length === 2, 'the second hello', 10_000);
      expect(host.of('hello')[1]?.liveTasks).toEqual(
        expect.arrayContaining([
          { taskId: vps.id, status: 'running' },
          { taskId: noDocker.id, status: 'running' },
        ]),
      );

      expect(await host.request({ type: 'task-control', taskId: vps.id, action: 'stop' })).toMatchObject({ ok: true });
      expect(statusesOf(host, vps.id)).toEqual(['running', 'stopped']);
      expect((await sshStream.closed).code).toBeGreaterThanOrEqual(1000);
      // The host restarts a stopped VPS as a new start of the same task.
      host.send(taskStart(vps));
      await waitFor(() => statusesOf(host, vps.id).length === 3, 'the VPS to run again', 15_000);
      expect(statusesOf(host, vps.id)).toEqual(['running', 'stopped', 'running']);
      expect(await host.request({ type: 'task-control', taskId: vps.id, action: 'kill' })).toMatchObject({ ok: true });
      expect(statusesOf(host, vps.id)).toEqual(['running', 'stopped', 'running', 'killed']);
      expect(await host.request({ type: 'task-control', taskId: noDocker.id, action: 'stop' })).toMatchObject({
        ok: false,
        error: { code: 'KAWA_ERR_NOT_A_VPS' },
      });
      await waitFor(
        async () => !(await readdir(join(config.state_dir, 'tasks'))).includes(`${vps.id}.json`),
        'the VPS record to go',
      );
    },
  );

  it('starts without a Docker Engine: no-Docker tasks run, Docker tasks fail naming the socket', async () => {
    const { host, config } = await start({ docker_socket: join(tmpdir(), `kawa-no-docker-${process.pid}.sock`) });
    host.send(taskStart(taskSpec(2, ['true'], { image: 'kawa-test/busybox:latest' })));
    host.send(taskStart(taskSpec(6, ['true'], { cores: 1 })));
    await waitFor(() => statusesOf(host, 2).includes('failed'), 'the Docker task to fail');
    await waitFor(() => statusesOf(host, 6).includes('completed'), 'the no-Docker task to complete');
    const failed = host.of('task-event').find((frame) => frame.taskId === 2);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_DOCKER_UNAVAILABLE' });
    expect(failed?.message).toContain(config.docker_socket);
  });

  it('sends the paused and running events before the command results', async () => {
    const { host } = await start();
    host.send(taskStart(taskSpec(3, ['sleep', '60'], { cores: 1 })));
    await waitFor(() => statusesOf(host, 3).includes('running'), 'task 3 to run');
    host.send({ type: 'task-control', requestId: 1, taskId: 3, action: 'pause' });
    await waitFor(() => host.of('command-result').length === 1, 'the pause result');
    host.send({ type: 'task-control', requestId: 2, taskId: 3, action: 'resume' });
    host.send({ type: 'task-control', requestId: 3, taskId: 3, action: 'resume' });
    host.send({ type: 'task-control', requestId: 4, taskId: 404, action: 'kill' });
    await waitFor(() => host.of('command-result').length === 4, 'all results');
    const order = host.frames.flatMap((frame) => {
      if (frame.type === 'task-event') return [frame.status];
      return frame.type === 'command-result' && frame.requestId !== 4 ? [`result ${frame.requestId}`] : [];
    });
    expect(order).toEqual(['running', 'paused', 'result 1', 'running', 'result 2', 'result 3']);
    const results = host.of('command-result');
    const result = (requestId: number) => results.find((frame) => frame.requestId === requestId);
    expect(result(2)).toMatchObject({ ok: true, error: null });
    expect(result(3)).toMatchObject({ ok: false, error: { code: 'KAWA_ERR_INVALID_STATE' } });
    expect(result(4)).toMatchObject({ ok: false, error: { code: 'KAWA_ERR_TASK_NOT_FOUND' } });
  });

  it('keeps tasks running while the link is down and reports what happened after the next welcome', async () => {
    const { host, config } = await start();
    host.send(taskStart(taskSpec(4, ['sh', '-c', 'sleep 0.3; exit 4'], { cores: 1 })));
    await waitFor(() => statusesOf(host, 4).includes('running'), 'task 4 to run');
    host.refuseWith = 503;
    host.autoWelcome = false;
    host.connections[0]?.terminate();
    // The task ends while no link is up (its record then holds the final state).
    await waitFor(async () => {
      const text = await readFile(join(config.state_dir, 'tasks/4.json'), 'utf8').catch(() => '{}');
      return (JSON.parse(text) as { final?: unknown }).final;
    }, 'task 4 to end');
    host.refuseWith = null;
    await waitFor(() => host.of('hello').length === 2, 'the second hello', 10_000);
    // Listed as running, so that the queued final event, with its exit code, is what ends it.
    expect(host.of('hello')[1]?.liveTasks).toEqual([{ taskId: 4, status: 'running' }]);
    expect(statusesOf(host, 4)).toEqual(['running']);
    host.send({ type: 'welcome', heartbeatIntervalMs: 1000 });
    await waitFor(() => statusesOf(host, 4).includes('failed'), 'the queued failure');
    expect(host.of('task-event').find((frame) => frame.status === 'failed')).toMatchObject({ exitCode: 4 });
  });

  it('after a crash, lists a task that ended meanwhile as running in hello and reports its ending with the exit code', async () => {
    const { host, config } = await setup();
    await mkdir(join(config.state_dir, 'tasks'), { recursive: true });
    // Left by the crashed runner: the task ended, the host never had the final event.
    const record = {
      version: 1,
      spec: taskSpec(900, ['sh', '-c', 'exit 3']),
      status: 'failed',
      pid: null,
      pgid: null,
      cgroupDriver: 'none',
      cgroupDirs: [],
      systemdUnit: null,
      startedAt: 1,
      pidStartTime: null,
      pausedWith: null,
      final: { exitCode: 3, message: 'exited with code 3', errorCode: null, at: 2 },
    };
    await writeFile(join(config.state_dir, 'tasks/900.json'), JSON.stringify(record));
    runner = await startRunnerWith({ config, logLevel: 'silent' }, {});
    await runner.connected;
    expect(host.of('hello')[0]?.liveTasks).toEqual([{ taskId: 900, status: 'running' }]);
    await waitFor(() => statusesOf(host, 900).includes('failed'), 'the ending of task 900');
    expect(host.of('task-event').find((frame) => frame.taskId === 900)).toMatchObject({ exitCode: 3, at: 2 });
    // Delivered: the record goes.
    await waitFor(() => !existsSync(join(config.state_dir, 'tasks/900.json')), 'the record to go');
  });

  it('kills its tasks on close and reports them killed', async () => {
    const { host, config } = await start();
    host.send(taskStart(taskSpec(5, ['sleep', '60'], { cores: 1 })));
    await waitFor(() => statusesOf(host, 5).includes('running'), 'task 5 to run');
    await runner?.close();
    expect(statusesOf(host, 5)).toEqual(['running', 'killed']);
    expect(existsSync(`/sys/fs/cgroup/cpu/${TEST_CGROUP_PARENT}/${config.name}`)).toBe(false);
  });

  it('reads the join token from its file, and refuses to start without one', async () => {
    const { config } = await setup({ join_token: '' });
    const file = join(root as string, 'join-token');
    await expect(
      startRunnerWith({ config: { ...config, join_token_file: file }, logLevel: 'silent' }, {}),
    ).rejects.toMatchObject({
      code: 'KAWA_ERR_CONFIG',
      message: expect.stringMatching(/cannot read the join token file/) as unknown,
    });
    await writeFile(file, 'from-file\n');
    runner = await startRunnerWith({ config: { ...config, join_token_file: file }, logLevel: 'silent' }, {});
    await runner.connected;
    expect(host?.authorizations).toEqual(['Bearer from-file']);
  });
});
