import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskSpec } from '@kawa/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  containerGone as containerGoneNamed,
  dockerReady,
  DOCKER_SOCKET,
  forgetEnvImage,
  makeEnvTarball,
  startDockerHarness,
  testDocker,
  TEST_IMAGE,
  uniqueEnv,
  uniqueTaskId,
  type DockerHarness,
} from '../../testing/docker-harness.js';
import { taskSpec } from '../../testing/executor-harness.js';
import { waitFor } from '../../testing/wait-for.js';
import { createDockerEngine } from './docker-engine.js';

const ready = await dockerReady();

let harness: DockerHarness | null = null;
const envs: string[] = [];
afterEach(async () => {
  await harness?.close();
  harness = null;
  for (const env of envs.splice(0)) await forgetEnvImage(env);
});

async function start(options: Parameters<typeof startDockerHarness>[0] = {}): Promise<DockerHarness> {
  harness = await startDockerHarness(options);
  return harness;
}

/** A task on the test image, with a fresh id. */
const imageTask = (command: string[], overrides: Partial<TaskSpec> = {}): TaskSpec =>
  taskSpec(uniqueTaskId(), command, { image: TEST_IMAGE, ...overrides });

const logOf = (h: DockerHarness, id: number, stream: 'stdout' | 'stderr'): Promise<string> =>
  readFile(join(h.sharedDir, 'logs', String(id), `${stream}.log`), 'utf8');

const containerOf = (id: number) => testDocker.getContainer(`kawa-task-${id}`);
const containerGone = (id: number): Promise<boolean> => containerGoneNamed(`kawa-task-${id}`);

describe.skipIf(!ready)('docker executor on the real engine', () => {
  let mountDir: string;
  beforeAll(async () => {
    mountDir = await mkdtemp(join(tmpdir(), 'kawa-mount-'));
    await writeFile(join(mountDir, 'input.txt'), 'from the host\n');
    return () => rm(mountDir, { recursive: true, force: true });
  });

  it('passes the argv verbatim, reports the exit code, keeps both logs and removes the container', async () => {
    const h = await start();
    const args = ['a b', '"double"', "it's", '$(id -u)', '`id`', '*', '; echo injected'];
    const verbatim = imageTask(['printf', '[%s]\\n', ...args]);
    const failing = imageTask(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    h.executor.start(verbatim);
    h.executor.start(failing);
    expect(await h.event(verbatim.id, ['completed', 'failed'])).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(await logOf(h, verbatim.id, 'stdout')).toBe(args.map((arg) => `[${arg}]\n`).join(''));
    expect(await h.event(failing.id, ['completed', 'failed'])).toMatchObject({
      status: 'failed',
      exitCode: 7,
      errorCode: null,
    });
    expect(await logOf(h, failing.id, 'stdout')).toBe('out\n');
    expect(await logOf(h, failing.id, 'stderr')).toBe('err\n');
    // Removed before the final event went out.
    expect(await containerGone(failing.id)).toBe(true);
    expect(h.events.filter((event) => event.taskId === failing.id).map((event) => event.status)).toEqual([
      'running',
      'failed',
    ]);
  });

  it('gives the task its env, the KAWA_* variables, /shared, /local_temp and extra mounts', async () => {
    const h = await start();
    const script = [
      'echo "user=$GREETING id=$KAWA_TASK_ID batch=$KAWA_BATCH_ID shared=$KAWA_SHARED_DIR temp=$KAWA_LOCAL_TEMP_DIR numa=$KAWA_NUMA_NODE"',
      'cat /in/input.txt',
      'echo written > /shared/from-task.txt',
      'touch /local_temp/ok && echo temp-writable',
      'touch /in/denied 2>/dev/null || echo mount-read-only',
      'echo rw > /out/made.txt && echo mount-writable',
      'pwd',
    ].join('; ');
    const spec = imageTask(['sh', '-c', script], {
      env: { GREETING: 'hi there' },
      numa: 0,
      workdir: '/tmp',
      mounts: [
        { source: mountDir, target: '/in', readOnly: true },
        { source: mountDir, target: '/out', readOnly: false },
      ],
    });
    h.executor.start(spec);
    expect(await h.event(spec.id, ['completed', 'failed'])).toMatchObject({ status: 'completed' });
    expect(await logOf(h, spec.id, 'stdout')).toBe(
      `user=hi there id=${spec.id} batch=${spec.batchId} shared=/shared temp=/local_temp numa=0\n` +
        'from the host\ntemp-writable\nmount-read-only\nmount-writable\n/tmp\n',
    );
    expect(await readFile(join(h.sharedDir, 'data', 'from-task.txt'), 'utf8')).toBe('written\n');
    expect(await readFile(join(mountDir, 'made.txt'), 'utf8')).toBe('rw\n');
  });

  it('ends a task over its memory limit as oom', async () => {
    const h = await start();
    const hog = imageTask(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], { memoryBytes: 20_000_000 });
    h.executor.start(hog);
    expect(await h.event(hog.id, ['completed', 'failed', 'oom'])).toMatchObject({ status: 'oom' });
  });

  it('ends a limited task killed by SIGKILL as oom when the engine drops the OOM flag (regression: failed 137)', async () => {
    // The engine on cgroup v1 sometimes never flags an OOM kill; this one never does.
    const real = createDockerEngine(DOCKER_SOCKET);
    const unflagged = {
      ...real,
      inspectContainer: async (id: string) => {
        const state = await real.inspectContainer(id);
        return state === null ? null : { ...state, oomKilled: false };
      },
    };
    const h = await start({ engine: unflagged });
    const hog = imageTask(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], { memoryBytes: 20_000_000 });
    h.executor.start(hog);
    expect(await h.event(hog.id, ['completed', 'failed', 'oom'])).toMatchObject({ status: 'oom', exitCode: 137 });
    // Without a memory limit, exit 137 stays a failure with its code.
    const unlimited = imageTask(['sh', '-c', 'exit 137']);
    h.executor.start(unlimited);
    expect(await h.event(unlimited.id, ['completed', 'failed', 'oom'])).toMatchObject({
      status: 'failed',
      exitCode: 137,
    });
  });

  it('applies cores and the NUMA zone as NanoCpus and cpuset, streams logs while running, and kills', async () => {
    const h = await start({ numaZones: [{ id: 0, cpus: [0, 1], memoryBytes: null }] });
    const spec = imageTask(['sh', '-c', 'echo started; echo warming >&2; sleep 300'], { cores: 0.5, numa: 0 });
    h.executor.start(spec);
    await h.event(spec.id, ['running']);
    const info = await containerOf(spec.id).inspect();
    expect(info.HostConfig).toMatchObject({ NanoCpus: 500_000_000, CpusetCpus: '0,1', CpusetMems: '0' });
    expect(info.Config.Labels).toMatchObject({ 'kawa.task-id': String(spec.id), 'kawa.node': h.nodeName });
    // The output is in the log files while the container still runs.
    await waitFor(async () => (await logOf(h, spec.id, 'stdout').catch(() => '')) === 'started\n', 'stdout to stream');
    expect(await logOf(h, spec.id, 'stderr')).toBe('warming\n');
    expect(h.executor.liveTasks()).toEqual([{ taskId: spec.id, status: 'running' }]);

    expect(await h.executor.control(spec.id, 'kill')).toEqual({ ok: true });
    // The final event is out before the kill answers.
    expect(h.events.at(-1)).toMatchObject({ taskId: spec.id, status: 'killed', exitCode: null });
    expect(await containerGone(spec.id)).toBe(true);
    expect(h.executor.liveTasks()).toEqual([]);
  });

  it('pauses and resumes through the engine, and kills a paused task', async () => {
    const h = await start();
    const spec = imageTask(['sleep', '300']);
    h.executor.start(spec);
    await h.event(spec.id, ['running']);
    expect(await h.executor.control(spec.id, 'pause')).toEqual({ ok: true });
    expect((await containerOf(spec.id).inspect()).State.Paused).toBe(true);
    expect(await h.executor.control(spec.id, 'pause')).toMatchObject({ ok: false, code: 'KAWA_ERR_INVALID_STATE' });
    expect(await h.executor.control(spec.id, 'resume')).toEqual({ ok: true });
    expect((await containerOf(spec.id).inspect()).State.Paused).toBe(false);
    expect(await h.executor.control(spec.id, 'pause')).toEqual({ ok: true });
    expect(await h.executor.control(spec.id, 'kill')).toEqual({ ok: true });
    expect(h.events.filter((event) => event.taskId === spec.id).map((event) => event.status)).toEqual([
      'running',
      'paused',
      'running',
      'paused',
      'killed',
    ]);
    expect(await containerGone(spec.id)).toBe(true);
    expect(await h.executor.control(spec.id, 'kill')).toMatchObject({ ok: false, code: 'KAWA_ERR_TASK_NOT_FOUND' });
  });

  it('fails a command the image lacks with KAWA_ERR_SPAWN_FAILED and leaves no container', async () => {
    const h = await start();
    const spec = imageTask(['no-such-program-here', 'x']);
    h.executor.start(spec);
    const failed = await h.event(spec.id, ['failed', 'running']);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_SPAWN_FAILED', exitCode: null });
    expect(failed.message).toMatch(/"no-such-program-here".*executable file not found/);
    expect(await containerGone(spec.id)).toBe(true);
  });

  it("replaces a leftover container of its own node, and never touches another node's", async () => {
    const h = await start();
    const leftover = imageTask(['echo', 'fresh']);
    const foreign = imageTask(['echo', 'never']);
    const made = async (id: number, node: string) =>
      testDocker.createContainer({
        name: `kawa-task-${id}`,
        Image: TEST_IMAGE,
        Cmd: ['sleep', '300'],
        Labels: { 'kawa.node': node, 'kawa.task-id': String(id) },
      });
    await made(leftover.id, h.nodeName);
    const other = await made(foreign.id, 'some-other-node');
    try {
      h.executor.start(leftover);
      h.executor.start(foreign);
      expect(await h.event(leftover.id, ['completed', 'failed'])).toMatchObject({ status: 'completed' });
      expect(await logOf(h, leftover.id, 'stdout')).toBe('fresh\n');
      const refused = await h.event(foreign.id, ['completed', 'failed']);
      expect(refused).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_DOCKER_FAILED' });
      expect(refused.message).toMatch(/kawa-task-\d+ is taken by a task of node some-other-node/);
      expect((await other.inspect()).Config.Labels).toMatchObject({ 'kawa.node': 'some-other-node' });
    } finally {
      await other.remove({ force: true });
    }
  });

  it('kills a task while its env syncs: it never starts, and the load others wait on goes on', async () => {
    const h = await start();
    const env = uniqueEnv('killsync');
    envs.push(env);
    await makeEnvTarball(h.sharedDir, env, 1_700_000_100);
    const gate = h.engine.hold();
    const victim = taskSpec(uniqueTaskId(), ['echo', 'should-not-run'], { container: env });
    const survivor = taskSpec(uniqueTaskId(), ['echo', 'ran'], { container: env });
    h.executor.start(victim);
    h.executor.start(survivor);
    await h.event(victim.id, ['syncing']);
    await h.event(survivor.id, ['syncing']);
    expect(await h.executor.control(victim.id, 'pause')).toMatchObject({ ok: false, code: 'KAWA_ERR_INVALID_STATE' });
    expect(h.executor.liveTasks()).toEqual(
      expect.arrayContaining([
        { taskId: victim.id, status: 'syncing' },
        { taskId: survivor.id, status: 'syncing' },
      ]),
    );

    expect(await h.executor.control(victim.id, 'kill')).toEqual({ ok: true });
    const victimProgress = () => h.progress.filter((frame) => frame.taskId === victim.id).length;
    const progressAtKill = victimProgress();
    expect(h.events.filter((event) => event.taskId === victim.id).map((event) => event.status)).toEqual([
      'syncing',
      'killed',
    ]);
    expect(h.events.find((event) => event.taskId === victim.id && event.status === 'killed')?.message).toMatch(
      /while its image was syncing/,
    );
    gate.release();
    expect(await h.event(survivor.id, ['completed', 'failed'])).toMatchObject({ status: 'completed' });
    expect(await logOf(h, survivor.id, 'stdout')).toBe('ran\n');
    expect(h.engine.loads).toBe(1);
    expect(await containerGone(victim.id)).toBe(true);
    // The load went on to 100 % for the survivor, and the killed task heard none of it.
    expect(h.progress.filter((frame) => frame.taskId === survivor.id).at(-1)?.progress).toMatchObject({
      phase: 'loading',
      totalBytes: expect.any(Number) as number,
    });
    const last = h.progress.filter((frame) => frame.taskId === survivor.id).at(-1)?.progress;
    expect(last?.doneBytes).toBe(last?.totalBytes);
    expect(victimProgress()).toBe(progressAtKill);
  });

  it('fails Docker tasks with KAWA_ERR_DOCKER_UNAVAILABLE, naming the socket, when the engine does not answer', async () => {
    const socket = join(tmpdir(), `kawa-no-docker-${process.pid}.sock`);
    const h = await start({ engine: createDockerEngine(socket) });
    const spec = imageTask(['true']);
    h.executor.start(spec);
    const failed = await h.event(spec.id, ['failed']);
    expect(failed.errorCode).toBe('KAWA_ERR_DOCKER_UNAVAILABLE');
    expect(failed.message).toContain(socket);
    expect(failed.message).toMatch(/runner\.docker_socket/);
  });
});
