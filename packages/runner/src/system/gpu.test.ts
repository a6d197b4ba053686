import { readFile } from 'node:fs/promises';
import { NodeResourcesSchema, NodeUsageSchema } from '@kawa/protocol';
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmiList, readGpuNodeFixture, recordingLogger } from '../testing/gpu-node.js';
import { createGpuReader, NVIDIA_SMI_ARGS, parseNvidiaSmi, queryGpus } from './gpu.js';
import type { RunCommand } from '../util/run-command.js';
import { createSystemProbe } from './system-probe.js';

const MIB = 1024 * 1024;
const A100 = 'NVIDIA A100-SXM4-80GB';
const RTX_3090 = 'NVIDIA GeForce RTX 3090';

/** The recorded node's GPUs, as `nvidia-smi -L` names them. */
const eightGpus = [
  { index: 0, name: A100, uuid: 'GPU-b62fc6d9-89a8-7022-2034-65a719d81bd7', memoryTotalBytes: 81_920 * MIB },
  { index: 1, name: A100, uuid: 'GPU-d4287da1-7da3-17b8-b966-791399ddf09b', memoryTotalBytes: 81_920 * MIB },
  { index: 2, name: A100, uuid: 'GPU-f2fee09d-908c-e249-69c8-45866c55cca4', memoryTotalBytes: 81_920 * MIB },
  { index: 3, name: A100, uuid: 'GPU-a600e611-26b4-1bc2-7f1d-f3d676590a14', memoryTotalBytes: 81_920 * MIB },
  { index: 4, name: RTX_3090, uuid: 'GPU-80c66866-aaf4-071f-7305-f9a11cee5e5b', memoryTotalBytes: 24_576 * MIB },
  { index: 5, name: RTX_3090, uuid: 'GPU-39a31029-96a4-8a0e-efd7-9e4cddc76a63', memoryTotalBytes: 24_576 * MIB },
  { index: 6, name: RTX_3090, uuid: 'GPU-0d6250ff-478d-c903-bfe4-d9d94c618a8d', memoryTotalBytes: 24_576 * MIB },
  { index: 7, name: RTX_3090, uuid: 'GPU-f3344621-2254-6fe5-4331-06e36c7bc5ad', memoryTotalBytes: 24_576 * MIB },
];

/** A RunCommand that replays recorded outputs in turn, then keeps giving the last one. */
function replay(...outputs: (string | Error)[]): RunCommand {
  let call = 0;
  return () => {
    const output = outputs[Math.min(call, outputs.length - 1)];
    call += 1;
    return output instanceof Error ? Promise.reject(output) : Promise.resolve(output ?? '');
  };
}

describe('parseNvidiaSmi on the recorded 8-GPU node (4× A100 80GB, 4× RTX 3090)', () => {
  it('reads every GPU with its index, name, UUID and memory', async () => {
    const { samples, unreadLines } = parseNvidiaSmi(await readGpuNodeFixture('query'));
    expect(samples.map((sample) => sample.gpu)).toEqual(eightGpus);
    expect(unreadLines).toEqual([]);
  });

  it('agrees with `nvidia-smi -L` of the same node', async () => {
    const { samples } = parseNvidiaSmi(await readGpuNodeFixture('query'));
    const listed = parseNvidiaSmiList(await readGpuNodeFixture('list'));
    expect(samples.map(({ gpu }) => ({ index: gpu.index, name: gpu.name, uuid: gpu.uuid }))).toEqual(listed);
  });

  it('reads the usage of each GPU: memory used, utilisation, temperature', async () => {
    const { samples } = parseNvidiaSmi(await readGpuNodeFixture('query'));
    const usage = (index: number, usedMib: number, utilizationPercent: number, temperatureCelsius: number) => ({
      index,
      memoryUsedBytes: usedMib * MIB,
      utilizationPercent,
      temperatureCelsius,
    });
    expect(samples.map((sample) => sample.usage)).toEqual([
      usage(0, 71_542, 98, 64),
      usage(1, 4, 0, 31),
      usage(2, 38_211, 57, 52),
      usage(3, 4, 0, 30),
      usage(4, 23_112, 100, 78),
      usage(5, 1, 0, 36),
      usage(6, 11_873, 43, 61),
      usage(7, 1, 0, 34),
    ]);
  });

  it('gives null for [N/A] and [Not Supported] fields and sets aside lines that are not GPUs', async () => {
    const { samples, unreadLines } = parseNvidiaSmi(await readGpuNodeFixture('degraded'));
    // GPU 6 fell off the bus and GPU 7's line was cut off; the other six still count.
    expect(samples.map((sample) => sample.gpu.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(unreadLines).toEqual([
      'Unable to determine the device handle for GPU 0000:C1:00.0: Unknown Error',
      '7, NVIDIA GeForce RTX 3090, GPU-f3344621-2254-6fe5',
    ]);
    // MIG mode: no whole-GPU utilisation.
    expect(samples[1]?.usage).toEqual({
      index: 1,
      memoryUsedBytes: 13 * MIB,
      utilizationPercent: null,
      temperatureCelsius: 33,
    });
    expect(samples[3]).toEqual({
      gpu: { ...eightGpus[3], memoryTotalBytes: null },
      usage: { index: 3, memoryUsedBytes: null, utilizationPercent: null, temperatureCelsius: null },
    });
    expect(samples[5]?.usage.utilizationPercent).toBeNull();
    expect(samples[5]?.usage.memoryUsedBytes).toBe(1 * MIB);
  });

  it('reads the older 4-GPU recording, a Tesla T4 without usage fields among them', async () => {
    const { samples } = parseNvidiaSmi(
      await readFile(new URL('./fixtures/nvidia-smi-4gpu.csv', import.meta.url), 'utf8'),
    );
    expect(samples.map((sample) => sample.gpu.name)).toEqual([
      'NVIDIA A100-SXM4-40GB',
      'NVIDIA A100-SXM4-40GB',
      RTX_3090,
      'Tesla T4',
    ]);
    expect(samples[0]?.usage).toEqual({
      index: 0,
      memoryUsedBytes: 1234 * MIB,
      utilizationPercent: 87,
      temperatureCelsius: 61,
    });
    expect(samples[3]?.usage).toEqual({
      index: 3,
      memoryUsedBytes: null,
      utilizationPercent: null,
      temperatureCelsius: null,
    });
  });

  it('reads nothing from output that holds no GPU lines', () => {
    const { samples, unreadLines } = parseNvidiaSmi('garbage\n\nNVIDIA-SMI has failed\nx, a, b, 1, 2, 3, 4\n');
    expect(samples).toEqual([]);
    expect(unreadLines).toEqual(['garbage', 'NVIDIA-SMI has failed', 'x, a, b, 1, 2, 3, 4']);
  });
});

describe('queryGpus', () => {
  it('runs the one query and reports no problem when every line is a GPU', async () => {
    const calls: string[][] = [];
    const smi = await readGpuNodeFixture('query');
    const query = await queryGpus('/usr/bin/nvidia-smi', (file, args) => {
      calls.push([file, ...args]);
      return Promise.resolve(smi);
    });
    expect(calls).toEqual([['/usr/bin/nvidia-smi', ...NVIDIA_SMI_ARGS]]);
    expect(query.samples).toHaveLength(8);
    expect(query.problem).toBeNull();
  });

  it('gives no GPUs and the reason when nvidia-smi fails', async () => {
    const query = await queryGpus('/usr/bin/nvidia-smi', replay(new Error('nvidia-smi: exit 9')));
    expect(query).toEqual({
      samples: [],
      problem: 'nvidia-smi failed, so this node reports no GPUs: nvidia-smi: exit 9',
    });
  });

  it('names the lines it could not read and how many GPUs remain', async () => {
    const query = await queryGpus('/usr/bin/nvidia-smi', replay(await readGpuNodeFixture('degraded')));
    expect(query.samples).toHaveLength(6);
    expect(query.problem).toBe(
      'nvidia-smi printed 2 line(s) that are not GPUs Kawa can read, so this node reports 6 GPU(s); ' +
        'the first: "Unable to determine the device handle for GPU 0000:C1:00.0: Unknown Error"',
    );
  });
});

describe('createGpuReader', () => {
  it('says once that there is no nvidia-smi, and reads no GPUs without running anything', async () => {
    const logger = recordingLogger();
    const read = createGpuReader(null, () => Promise.reject(new Error('must not run')), logger);
    expect(await read()).toEqual([]);
    expect(await read()).toEqual([]);
    expect(logger.lines).toEqual(['info: nvidia-smi is not on PATH, so this node reports no GPUs']);
  });

  it('warns once per problem, not once per heartbeat, and says when nvidia-smi reads again', async () => {
    const logger = recordingLogger();
    const smi = await readGpuNodeFixture('query');
    const failure = new Error('nvidia-smi: exit 9');
    const read = createGpuReader('/usr/bin/nvidia-smi', replay(smi, failure, failure, smi, smi), logger);
    expect(await read()).toHaveLength(8);
    expect(await read()).toEqual([]);
    expect(await read()).toEqual([]);
    expect(await read()).toHaveLength(8);
    expect(await read()).toHaveLength(8);
    expect(logger.lines).toEqual([
      'warn: nvidia-smi failed, so this node reports no GPUs: nvidia-smi: exit 9',
      'info: nvidia-smi reads 8 GPU(s) again',
    ]);
  });
});

describe('system probe on the recorded 8-GPU node', () => {
  const probeWith = async (run: RunCommand) => {
    const logger = recordingLogger();
    const probe = await createSystemProbe({
      roots: { procRoot: '/nonexistent/proc', sysRoot: '/nonexistent/sys' },
      hostname: 'gpu-node',
      nvidiaSmiPath: '/usr/bin/nvidia-smi',
      run,
      logger,
      cores: () => 64,
    });
    return { probe, logger };
  };

  it('reports 8 GPUs in its resources and their usage per heartbeat', async () => {
    const smi = await readGpuNodeFixture('query');
    const { probe, logger } = await probeWith(replay(smi));
    const resources = NodeResourcesSchema.parse(await probe.resources());
    expect(resources.gpus).toEqual(eightGpus);
    const usage = NodeUsageSchema.parse(await probe.usage());
    expect(usage.gpus.map((gpu) => gpu.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(usage.gpus[4]).toEqual({
      index: 4,
      memoryUsedBytes: 23_112 * MIB,
      utilizationPercent: 100,
      temperatureCelsius: 78,
    });
    expect(logger.lines).toEqual([]);
  });

  it('keeps heartbeats valid when a GPU goes bad after start, and warns', async () => {
    const { probe, logger } = await probeWith(
      replay(await readGpuNodeFixture('query'), await readGpuNodeFixture('degraded')),
    );
    expect((await probe.resources()).gpus).toHaveLength(8);
    const usage = NodeUsageSchema.parse(await probe.usage());
    expect(usage.gpus.map((gpu) => gpu.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(/^warn: nvidia-smi printed 2 line\(s\) .* reports 6 GPU\(s\)/);
  });

  it('reports no GPUs, and why, when nvidia-smi fails from the start', async () => {
    const { probe, logger } = await probeWith(replay(new Error('nvidia-smi: exit 9')));
    expect(NodeResourcesSchema.parse(await probe.resources()).gpus).toEqual([]);
    expect(NodeUsageSchema.parse(await probe.usage()).gpus).toEqual([]);
    expect(logger.lines).toEqual(['warn: nvidia-smi failed, so this node reports no GPUs: nvidia-smi: exit 9']);
  });
});

describe('parseNvidiaSmiList', () => {
  it('lists the GPUs of `nvidia-smi -L`, leaving out MIG devices', async () => {
    expect(parseNvidiaSmiList(await readGpuNodeFixture('list'))).toHaveLength(8);
    const mig = [
      'GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-b62fc6d9-89a8-7022-2034-65a719d81bd7)',
      '  MIG 3g.40gb      Device  0: (UUID: MIG-4f2b7c9e-1d3a-5b6c-8e7f-0a1b2c3d4e5f)',
      '  MIG 3g.40gb      Device  1: (UUID: MIG-9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4)',
      '',
    ].join('\n');
    expect(parseNvidiaSmiList(mig)).toEqual([
      { index: 0, name: A100, uuid: 'GPU-b62fc6d9-89a8-7022-2034-65a719d81bd7' },
    ]);
  });
});
