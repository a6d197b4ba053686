import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TaskSpec } from '@kawa/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  containerGone,
  dockerReady,
  startDockerHarness,
  testDocker,
  TEST_IMAGE,
  uniqueTaskId,
  type DockerHarness,
} from '../../testing/docker-harness.js';
import { taskSpec } from '../../testing/executor-harness.js';
import { fakeSshdImage, TEST_PUBLIC_KEY } from '../../testing/fake-sshd-image.js';
import { listTar } from '../../testing/tar-entries.js';
import { waitFor } from '../../testing/wait-for.js';
import { bannerArrives } from './sshd-ready.js';

const ready = await dockerReady();
const run = promisify(execFile);

let harness: DockerHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

async function start(): Promise<DockerHarness> {
  harness = await startDockerHarness({ numaZones: [{ id: 0, cpus: [0], memoryBytes: null }] });
  return harness;
}

const containerOf = (id: number) => testDocker.getContainer(`kawa-vps-${id}`);
const statusesOf = (h: DockerHarness, id: number): string[] =>
  h.events.filter((event) => event.taskId === id).map((event) => event.status);

/** The container's published loopback port for 22/tcp, as the engine reports it now. */
async function sshPortOf(id: number): Promise<number> {
  const bindings = (await containerOf(id).inspect()).NetworkSettings.Ports['22/tcp'] ?? [];
  return Number(bindings[0]?.HostPort);
}

async function archiveOf(id: number, path: string) {
  const chunks: Buffer[] = [];
  for await (const chunk of await containerOf(id).getArchive({ path })) chunks.push(chunk as Buffer);
  return listTar(Buffer.concat(chunks));
}

describe.skipIf(!ready)('VPS tasks on the real engine', () => {
  let image = '';
  beforeAll(async () => {
    image = await fakeSshdImage();
  });
  const vpsSpec = (overrides: Partial<TaskSpec> = {}): TaskSpec =>
    taskSpec(uniqueTaskId(), ['not-run'], { kind: 'vps', publicKey: TEST_PUBLIC_KEY, image, ...overrides });

  it('runs sshd with the key, port 22 on 127.0.0.1 only, unless-stopped, mounts and limits; stop removes it all', async () => {
    const h = await start();
    const spec = vpsSpec({ cores: 0.5, memoryBytes: 256_000_000, numa: 0 });
    h.executor.start(spec);
    await h.event(spec.id, ['running', 'failed']);
    expect(statusesOf(h, spec.id)).toEqual(['running']);

    const info = await containerOf(spec.id).inspect();
    expect(info.HostConfig.RestartPolicy).toMatchObject({ Name: 'unless-stopped' });
    expect(info.HostConfig).toMatchObject({ NanoCpus: 500_000_000, Memory: 256_000_000, CpusetCpus: '0' });
    // Published on loopback only: one binding, to 127.0.0.1, on an ephemeral port.
    const bindings = info.NetworkSettings.Ports['22/tcp'] ?? [];
    expect(bindings).toHaveLength(1);
    expect(bindings[0]?.HostIp).toBe('127.0.0.1');
    expect(info.Mounts.map((mount) => mount.Destination).sort()).toEqual(['/local_temp', '/shared']);
    expect(info.Config.Labels).toMatchObject({ 'kawa.kind': 'vps', 'kawa.task-id': String(spec.id) });

    const keys = await archiveOf(spec.id, '/root/.ssh');
    expect(keys.map(({ path, type, mode, uid, gid }) => ({ path, type, mode, uid, gid }))).toEqual([
      { path: '.ssh/', type: 'dir', mode: 0o700, uid: 0, gid: 0 },
      { path: '.ssh/authorized_keys', type: 'file', mode: 0o600, uid: 0, gid: 0 },
    ]);
    expect(keys[1]?.content.toString()).toBe(`${TEST_PUBLIC_KEY}\n`);
    const port = await sshPortOf(spec.id);
    expect(await bannerArrives(port, 2000)).toBe(true);
    // sshd was told to refuse passwords (the stand-in logs its arguments).
    const { stderr } = await run('docker', ['logs', `kawa-vps-${spec.id}`]);
    expect(stderr).toMatch(/-D -e -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no/);
    expect(h.executor.liveTasks()).toEqual([{ taskId: spec.id, status: 'running' }]);
    expect(h.executor.lookup(spec.id)).toMatchObject({ kind: 'vps', status: 'running', containerId: info.Id });

    expect(await h.executor.control(spec.id, 'stop')).toEqual({ ok: true });
    expect(h.events.at(-1)).toMatchObject({ taskId: spec.id, status: 'stopped', errorCode: null });
    expect(await containerGone(`kawa-vps-${spec.id}`)).toBe(true);
    expect(await bannerArrives(port, 500)).toBe(false);
    expect(h.executor.liveTasks()).toEqual([]);
    expect(h.executor.lookup(spec.id)).toBeNull();
  });

  it('restarts a stopped VPS as a new start of the same id: a new container with the same key', async () => {
    const h = await start();
    const spec = vpsSpec();
    h.executor.start(spec);
    await h.event(spec.id, ['running']);
    const first = (await containerOf(spec.id).inspect()).Id;
    expect(await h.executor.control(spec.id, 'stop')).toEqual({ ok: true });

    h.executor.start(spec);
    await waitFor(() => statusesOf(h, spec.id).length === 3, 'the second running event');
    expect(statusesOf(h, spec.id)).toEqual(['running', 'stopped', 'running']);
    const second = await containerOf(spec.id).inspect();
    expect(second.Id).not.toBe(first);
    expect((await archiveOf(spec.id, '/root/.ssh/authorized_keys'))[0]?.content.toString()).toBe(
      `${TEST_PUBLIC_KEY}\n`,
    );
    expect(await bannerArrives(await sshPortOf(spec.id), 2000)).toBe(true);

    expect(await h.executor.control(spec.id, 'kill')).toEqual({ ok: true });
    expect(h.events.at(-1)).toMatchObject({ taskId: spec.id, status: 'killed' });
    expect(await containerGone(`kawa-vps-${spec.id}`)).toBe(true);
  });

  it('fails an image without sshd with KAWA_ERR_VPS_NO_SSHD and leaves no container', async () => {
    const h = await start();
    const spec = vpsSpec({ image: TEST_IMAGE });
    h.executor.start(spec);
    const failed = await h.event(spec.id, ['running', 'failed']);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_VPS_NO_SSHD' });
    expect(failed.message).toMatch(/has no OpenSSH server \(\/usr\/sbin\/sshd\).*install openssh-server/);
    expect(await containerGone(`kawa-vps-${spec.id}`)).toBe(true);
  });

  it('fails a VPS that names no env and no image instead of running its argv bare', async () => {
    const h = await start();
    const spec = vpsSpec({ image: null, container: null });
    h.executor.start(spec);
    expect(await h.event(spec.id, ['running', 'failed'])).toMatchObject({
      status: 'failed',
      errorCode: 'KAWA_ERR_BAD_REQUEST',
      message: `VPS ${spec.id} names no env and no image: a VPS runs in a container`,
    });
  });

  it('fails with the log tail when sshd exits at start, and leaves no container', async () => {
    const h = await start();
    const spec = vpsSpec({ env: { FAKE_SSHD_FAIL: 'no hostkeys available -- exiting' } });
    h.executor.start(spec);
    const failed = await h.event(spec.id, ['running', 'failed']);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'KAWA_ERR_SPAWN_FAILED' });
    expect(failed.message).toMatch(/^sshd exited \(code 1\); the container log ends with:\n/);
    expect(failed.message).toContain('fake sshd: no hostkeys available -- exiting');
    expect(await containerGone(`kawa-vps-${spec.id}`)).toBe(true);
  });

  it('pauses (SSH stalls) and resumes (SSH answers again), and kills a paused VPS', async () => {
    const h = await start();
    const spec = vpsSpec();
    h.executor.start(spec);
    await h.event(spec.id, ['running']);
    const port = await sshPortOf(spec.id);
    expect(await h.executor.control(spec.id, 'pause')).toEqual({ ok: true });
    expect((await containerOf(spec.id).inspect()).State.Paused).toBe(true);
    expect(await bannerArrives(port, 700)).toBe(false);
    expect(h.executor.liveTasks()).toEqual([{ taskId: spec.id, status: 'paused' }]);
    expect(await h.executor.control(spec.id, 'resume')).toEqual({ ok: true });
    expect(await bannerArrives(port, 2000)).toBe(true);
    expect(await h.executor.control(spec.id, 'pause')).toEqual({ ok: true });
    expect(await h.executor.control(spec.id, 'kill')).toEqual({ ok: true });
    expect(statusesOf(h, spec.id)).toEqual(['running', 'paused', 'running', 'paused', 'killed']);
    expect(await containerGone(`kawa-vps-${spec.id}`)).toBe(true);
  });

  it('keeps running across a crash (the engine restarts it) and reports stopped when stopped outside Kawa', async () => {
    const h = await start();
    const spec = vpsSpec();
    h.executor.start(spec);
    await h.event(spec.id, ['running']);
    // sshd (PID 1 of the stand-in) ends: a crash, as far as the restart policy goes.
    // The exec itself may be cut off as its container goes down; the restart count tells.
    await run('docker', ['exec', `kawa-vps-${spec.id}`, 'kill', '1']).catch(() => undefined);
    await waitFor(
      async () => {
        const { State, RestartCount } = await containerOf(spec.id).inspect();
        return State.Running && RestartCount >= 1;
      },
      'the engine to restart the VPS',
      10_000,
    );
    // The published port may change at a restart; the new one answers.
    // Right after the restart the engine may not list the port yet (no binding: NaN).
    await waitFor(
      async () => {
        const port = await sshPortOf(spec.id);
        return Number.isInteger(port) && port > 0 && (await bannerArrives(port, 500));
      },
      'sshd after the restart',
      10_000,
    );
    expect(statusesOf(h, spec.id)).toEqual(['running']);
    expect(h.executor.liveTasks()).toEqual([{ taskId: spec.id, status: 'running' }]);

    await containerOf(spec.id).stop({ t: 1 });
    const stopped = await h.event(spec.id, ['stopped']);
    expect(stopped.message).toMatch(/stopped or removed outside Kawa; restart the VPS/);
    expect(await containerGone(`kawa-vps-${spec.id}`)).toBe(true);
    expect(h.executor.liveTasks()).toEqual([]);
  });

  it('stops a VPS that has not started yet: nothing is left', async () => {
    const h = await start();
    const spec = vpsSpec();
    h.executor.start(spec);
    expect(await h.executor.control(spec.id, 'stop')).toEqual({ ok: true });
    expect(statusesOf(h, spec.id)).toEqual(['stopped']);
    expect(h.events.at(-1)?.message).toBe('stopped before it started');
    expect(await containerGone(`kawa-vps-${spec.id}`)).toBe(true);
  });

  it('answers stop for a command task with KAWA_ERR_NOT_A_VPS, and stops its VPS when it closes', async () => {
    const h = await start();
    const task = taskSpec(uniqueTaskId(), ['sleep', '300'], { image: TEST_IMAGE });
    const spec = vpsSpec();
    h.executor.start(task);
    h.executor.start(spec);
    await h.event(task.id, ['running']);
    await h.event(spec.id, ['running']);
    expect(await h.executor.control(task.id, 'stop')).toMatchObject({ ok: false, code: 'KAWA_ERR_NOT_A_VPS' });
    harness = null;
    await h.close();
    expect(statusesOf(h, task.id)).toEqual(['running', 'killed']);
    expect(statusesOf(h, spec.id)).toEqual(['running', 'stopped']);
    expect(h.events.find((event) => event.taskId === spec.id && event.status === 'stopped')?.message).toMatch(
      /the runner on node .* stopped; restart the VPS/,
    );
    expect(await containerGone(`kawa-vps-${spec.id}`)).toBe(true);
  });
});
