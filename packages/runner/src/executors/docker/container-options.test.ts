import { describe, expect, it } from 'vitest';
import { parseNvidiaSmi } from '../../system/gpu.js';
import { taskSpec } from '../../testing/executor-harness.js';
import { readGpuNodeFixture } from '../../testing/gpu-node.js';
import { buildContainerOptions, type ContainerContext } from './container-options.js';
import { runtimeReason, startFailure } from './start-failure.js';
import { KawaError, parseTarget } from '@kawa/protocol';

const context: ContainerContext = {
  image: 'sha256:abc',
  nodeName: 'node-a',
  sharedDir: '/srv/shared',
  localTempDir: '/var/kawa/temp',
  numaZones: [
    { id: 0, cpus: [0, 1, 2, 3], memoryBytes: null },
    { id: 1, cpus: [4, 5, 6, 7], memoryBytes: null },
  ],
};

describe('buildContainerOptions', () => {
  it('runs the argv verbatim in kawa-task-<id>, from the image id, with labels and the KAWA_* env', () => {
    const argv = ['printf', '[%s]\\n', 'a b', '"q"', "it's", '$(id -u)', '`id`', '*'];
    const options = buildContainerOptions(
      taskSpec(42, argv, { batchId: 7, env: { GREETING: 'hi there', KAWA_TASK_ID: 'spoofed', EQ: 'a=b' } }),
      context,
    );
    expect(options.name).toBe('kawa-task-42');
    expect(options.Image).toBe('sha256:abc');
    expect(options.Cmd).toEqual(argv);
    expect(options.Entrypoint).toBeUndefined();
    expect(options.Tty).toBe(false);
    expect(options.WorkingDir).toBeUndefined();
    expect(options.Labels).toEqual({
      'kawa.task-id': '42',
      'kawa.batch-id': '7',
      'kawa.node': 'node-a',
      'kawa.kind': 'command',
    });
    expect(options.Env).toEqual([
      'GREETING=hi there',
      'KAWA_TASK_ID=42',
      'EQ=a=b',
      'KAWA_BATCH_ID=7',
      'KAWA_SHARED_DIR=/shared',
      'KAWA_LOCAL_TEMP_DIR=/local_temp',
      'NVIDIA_VISIBLE_DEVICES=void',
    ]);
  });

  it('maps cores, memory (no swap), NUMA cpuset and GPU device requests', () => {
    const options = buildContainerOptions(
      taskSpec(1, ['true'], { cores: 1.5, memoryBytes: 20_000_000, numa: 1, gpus: [0, 3], workdir: '/work' }),
      context,
    );
    expect(options.WorkingDir).toBe('/work');
    expect(options.HostConfig).toMatchObject({
      NanoCpus: 1_500_000_000,
      Memory: 20_000_000,
      MemorySwap: 20_000_000,
      CpusetCpus: '4,5,6,7',
      CpusetMems: '1',
      DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: ['0', '3'], Capabilities: [['gpu']] }],
      Privileged: false,
    });
    expect(options.Env).toContain('KAWA_NUMA_NODE=1');
    // Inside Docker the device request picks the GPUs; the variable is not set for the task.
    expect(options.Env?.some((entry) => entry.startsWith('CUDA_VISIBLE_DEVICES='))).toBe(false);
  });

  it('leaves limits off when none are asked for', () => {
    const { HostConfig } = buildContainerOptions(taskSpec(1, ['true'], { cores: 0 }), context);
    for (const key of ['NanoCpus', 'Memory', 'MemorySwap', 'CpusetCpus', 'CpusetMems', 'DeviceRequests', 'NetworkMode'])
      expect(HostConfig).not.toHaveProperty(key);
  });

  it('mounts /shared, /local_temp and the extra mounts as binds, honouring read-only', () => {
    const options = buildContainerOptions(
      taskSpec(9, ['true'], {
        privileged: true,
        privateNetwork: true,
        mounts: [
          { source: '/data/in', target: '/in', readOnly: true },
          { source: '/data/out', target: '/out', readOnly: false },
        ],
      }),
      context,
    );
    expect(options.HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/shared/data', Target: '/shared', ReadOnly: false },
      { Type: 'bind', Source: '/var/kawa/temp/task-9', Target: '/local_temp', ReadOnly: false },
      { Type: 'bind', Source: '/data/in', Target: '/in', ReadOnly: true },
      { Type: 'bind', Source: '/data/out', Target: '/out', ReadOnly: false },
    ]);
    expect(options.HostConfig?.Privileged).toBe(true);
    expect(options.HostConfig?.NetworkMode).toBe('none');
  });

  it('refuses a NUMA zone the node does not have', () => {
    expect(() => buildContainerOptions(taskSpec(1, ['true'], { numa: 5 }), context)).toThrow(
      /node node-a has NUMA zones 0, 1; zone 5 does not exist/,
    );
  });
});

describe('GPU device requests on the recorded 8-GPU node', () => {
  /** The task spec of a target on the node, checking first that its GPUs are the node's. */
  async function specFor(id: number, target: string, env: Record<string, string> = {}) {
    const parsed = parseTarget(target);
    if (parsed === null) throw new Error(`bad target ${target}`);
    const { samples } = parseNvidiaSmi(await readGpuNodeFixture('query'));
    expect(samples).toHaveLength(8);
    for (const index of parsed.gpus) expect(samples.map((sample) => sample.gpu.index)).toContain(index);
    return taskSpec(id, ['nvidia-smi'], { numa: parsed.numa, gpus: parsed.gpus, env });
  }
  const envNames = (env: string[] | undefined): string[] => (env ?? []).map((entry) => entry.split('=')[0] ?? '');

  it('asks the nvidia driver for GPUs 1 and 5 of node::1,5, an A100 and an RTX 3090', async () => {
    const options = buildContainerOptions(await specFor(1, 'gpu-node::1,5'), context);
    expect(options.HostConfig?.DeviceRequests).toEqual([
      { Driver: 'nvidia', DeviceIDs: ['1', '5'], Capabilities: [['gpu']] },
    ]);
    // The device request already limits what the container sees, renumbered from 0, so a host
    // index in CUDA_VISIBLE_DEVICES would point at the wrong GPU or none. Docker sets
    // NVIDIA_VISIBLE_DEVICES from the request itself.
    expect(envNames(options.Env)).not.toContain('CUDA_VISIBLE_DEVICES');
    expect(envNames(options.Env)).not.toContain('NVIDIA_VISIBLE_DEVICES');
  });

  it('combines a NUMA zone with GPUs (node:1::4,6,7)', async () => {
    const { HostConfig, Env } = buildContainerOptions(await specFor(2, 'gpu-node:1::4,6,7'), context);
    expect(HostConfig).toMatchObject({
      CpusetCpus: '4,5,6,7',
      CpusetMems: '1',
      DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: ['4', '6', '7'], Capabilities: [['gpu']] }],
    });
    expect(Env).toContain('KAWA_NUMA_NODE=1');
    expect(envNames(Env)).not.toContain('CUDA_VISIBLE_DEVICES');
  });

  it('sends no device request for a task without GPUs', async () => {
    const { HostConfig } = buildContainerOptions(await specFor(3, 'gpu-node'), context);
    expect(HostConfig).not.toHaveProperty('DeviceRequests');
  });

  it('keeps an nvidia default runtime from giving a no-GPU task every GPU (regression: NVIDIA_VISIBLE_DEVICES=all of CUDA images)', async () => {
    // CUDA images carry NVIDIA_VISIBLE_DEVICES=all; the container's own value replaces the
    // image's, and `void` tells the runtime to mount none, however the user set it.
    const { Env } = buildContainerOptions(await specFor(4, 'gpu-node', { NVIDIA_VISIBLE_DEVICES: 'all' }), context);
    expect((Env ?? []).filter((entry) => entry.startsWith('NVIDIA_VISIBLE_DEVICES='))).toEqual([
      'NVIDIA_VISIBLE_DEVICES=void',
    ]);
  });
});

describe('startFailure', () => {
  const runtime =
    'starting the container: failed to create shim task: OCI runtime create failed: runc create failed: ' +
    'unable to start container process: exec: "no-such-program": executable file not found in $PATH: unknown';

  it('turns a command the image lacks into KAWA_ERR_SPAWN_FAILED with the runtime reason', () => {
    expect(runtimeReason(runtime)).toBe('exec: "no-such-program": executable file not found in $PATH');
    const outcome = startFailure(
      new KawaError('KAWA_ERR_DOCKER_FAILED', runtime),
      taskSpec(1, ['no-such-program']),
      'node-a',
    );
    expect(outcome).toEqual({
      status: 'failed',
      exitCode: null,
      errorCode: 'KAWA_ERR_SPAWN_FAILED',
      message:
        'the command "no-such-program" could not start in its container on node node-a: exec: "no-such-program": executable file not found in $PATH',
    });
  });

  it('keeps the engine’s own failures and other coded errors as they are', () => {
    const engineDown = new KawaError('KAWA_ERR_DOCKER_UNAVAILABLE', 'the Docker Engine does not answer on /x.sock');
    expect(startFailure(engineDown, taskSpec(1, ['true']), 'n')).toMatchObject({
      errorCode: 'KAWA_ERR_DOCKER_UNAVAILABLE',
      message: engineDown.message,
    });
    const refused = new KawaError('KAWA_ERR_DOCKER_FAILED', 'creating the container: Conflict. The name is in use');
    expect(startFailure(refused, taskSpec(1, ['true']), 'n')).toMatchObject({ errorCode: 'KAWA_ERR_DOCKER_FAILED' });
    expect(startFailure(new Error('EACCES: permission denied, mkdir'), taskSpec(1, ['true']), 'n')).toMatchObject({
      errorCode: 'KAWA_ERR_SPAWN_FAILED',
      message: 'node n could not start the task: EACCES: permission denied, mkdir',
    });
  });
});
