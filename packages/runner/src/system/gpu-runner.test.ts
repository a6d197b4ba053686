import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelloFrameSchema, parseTarget, RunnerConfigSchema } from '@kawa/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createNoCgroupDriver } from '../executors/process/cgroups/no-cgroup.js';
import { startRunnerWith, type RunningRunner } from '../runner.js';
import { taskSpec } from '../testing/executor-harness.js';
import { FakeHost } from '../testing/fake-host.js';
import { gpuNodeFixtures, writeFakeNvidiaSmi } from '../testing/gpu-node.js';
import { waitFor } from '../testing/wait-for.js';
import { NVIDIA_SMI_ARGS } from './gpu.js';

// The runner finds nvidia-smi on PATH and runs it for real: here a script replaying the
// recorded 8-GPU node, since the test machines have no GPU.

let host: FakeHost | null = null;
let runner: RunningRunner | null = null;
let root: string | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await runner?.close();
  await host?.close();
  if (root !== null) await rm(root, { recursive: true, force: true });
  runner = host = root = null;
});

/** Starts a runner whose PATH holds `bin` first; its log lines are kept, not printed. */
async function startGpuRunner(
  prepareBin: (bin: string) => Promise<unknown>,
): Promise<{ host: FakeHost; runner: RunningRunner; bin: string; sharedDir: string; logs: string[] }> {
  root = await mkdtemp(join(tmpdir(), 'kawa-gpu-runner-'));
  const bin = join(root, 'bin');
  await mkdir(bin);
  await prepareBin(bin);
  const logs: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logs.push(String(chunk));
    return true;
  });
  host = new FakeHost();
  const config = RunnerConfigSchema.parse({
    name: `gpu-${randomBytes(3).toString('hex')}`,
    host_url: await host.listen(),
    join_token: 'join-secret',
    state_dir: join(root, 'state'),
    shared_dir: join(root, 'shared'),
    local_temp_dir: join(root, 'temp'),
    docker_socket: join(root, 'no-docker.sock'),
  });
  runner = await startRunnerWith(
    { config, logLevel: 'info' },
    // No cgroups needed: these tasks ask for no limits, so the test runs as any user.
    { env: { PATH: `${bin}:/usr/bin:/bin` }, cgroups: createNoCgroupDriver('unit test') },
  );
  await runner.connected;
  return { host, runner, bin, sharedDir: config.shared_dir, logs };
}

describe('a runner on the recorded 8-GPU node', () => {
  it('reports the 8 GPUs in hello and their usage in heartbeats', async () => {
    const { host, bin, logs } = await startGpuRunner((dir) => writeFakeNvidiaSmi(dir, gpuNodeFixtures.query));
    const hello = HelloFrameSchema.parse(host.frames[0]);
    expect(hello.resources.gpus.map((gpu) => `${gpu.index} ${gpu.name}`)).toEqual([
      '0 NVIDIA A100-SXM4-80GB',
      '1 NVIDIA A100-SXM4-80GB',
      '2 NVIDIA A100-SXM4-80GB',
      '3 NVIDIA A100-SXM4-80GB',
      '4 NVIDIA GeForce RTX 3090',
      '5 NVIDIA GeForce RTX 3090',
      '6 NVIDIA GeForce RTX 3090',
      '7 NVIDIA GeForce RTX 3090',
    ]);
    const heartbeat = await waitFor(() => host.of('heartbeat')[0], 'a heartbeat');
    expect(heartbeat.usage.gpus).toHaveLength(8);
    expect((await readFile(join(bin, 'nvidia-smi.args'), 'utf8')).trim().split('\n')).toEqual([...NVIDIA_SMI_ARGS]);
    expect(logs.join('')).toMatch(/cores, \d+ NUMA zone\(s\), 8 GPU\(s\)/);
  });

  it('runs a no-Docker task on node::1,5 with CUDA_VISIBLE_DEVICES=1,5', async () => {
    const { host, runner, sharedDir } = await startGpuRunner((dir) => writeFakeNvidiaSmi(dir, gpuNodeFixtures.query));
    const target = parseTarget(`${runner.name}::1,5`);
    expect(target?.gpus).toEqual([1, 5]);
    host.send({
      type: 'task-start',
      task: taskSpec(31, ['sh', '-c', 'echo "cuda=$CUDA_VISIBLE_DEVICES"'], { gpus: target?.gpus ?? [] }),
    });
    await waitFor(
      () => host.of('task-event').find((frame) => frame.taskId === 31 && frame.status === 'completed'),
      'task 31 to complete',
    );
    expect(await readFile(join(sharedDir, 'logs', '31', 'stdout.log'), 'utf8')).toBe('cuda=1,5\n');
  });

  it('starts with no GPUs and says why when nvidia-smi fails (no driver)', async () => {
    const { host, logs } = await startGpuRunner((dir) => writeFakeNvidiaSmi(dir, gpuNodeFixtures.noDriver, 9));
    expect(HelloFrameSchema.parse(host.frames[0]).resources.gpus).toEqual([]);
    const heartbeat = await waitFor(() => host.of('heartbeat')[1], 'two heartbeats');
    expect(heartbeat.usage.gpus).toEqual([]);
    const warnings = logs.filter((line) => line.includes(' warn: nvidia-smi failed'));
    // Once, though nvidia-smi ran for hello and for every heartbeat since.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/so this node reports no GPUs: .*nvidia-smi --query-gpu=.*Command failed/);
  });

  it('starts with no GPUs and says why when there is no nvidia-smi', async () => {
    const { host, logs } = await startGpuRunner(() => Promise.resolve());
    expect(HelloFrameSchema.parse(host.frames[0]).resources.gpus).toEqual([]);
    expect(logs.filter((line) => line.includes('nvidia-smi'))).toEqual([
      expect.stringMatching(/ info: nvidia-smi is not on PATH, so this node reports no GPUs\n$/),
    ]);
  });
});
