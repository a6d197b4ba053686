import { NodeResourcesSchema, NodeUsageSchema } from '@kawa/protocol';
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmiList, recordingLogger } from '../testing/gpu-node.js';
import { findExecutable } from '../util/find-executable.js';
import { execFileCommand } from '../util/run-command.js';
import { defaultSystemRoots } from './roots.js';
import { createSystemProbe } from './system-probe.js';

// The real-GPU check, kept ready for a machine with GPUs. The test machines have none, so it
// is skipped where nvidia-smi is not on PATH: the one conditional skip of the GPU tests.
const found = await findExecutable('nvidia-smi', process.env.PATH ?? '', '/');
const nvidiaSmi = 'path' in found ? found.path : null;
const hasNvidiaSmi = nvidiaSmi !== null;

describe('the GPU probe on this machine', () => {
  it.skipIf(!hasNvidiaSmi)(
    'reports the GPUs `nvidia-smi -L` lists (skipped without nvidia-smi on PATH: no GPU here)',
    async () => {
      if (nvidiaSmi === null) throw new Error('unreachable: skipped without nvidia-smi');
      // nvidia-smi can take seconds on a node whose GPUs are not in persistence mode.
      const run = execFileCommand(60_000);
      const listed = parseNvidiaSmiList(await run(nvidiaSmi, ['-L']));
      const logger = recordingLogger();
      const probe = await createSystemProbe({
        roots: defaultSystemRoots,
        hostname: 'real-gpu',
        nvidiaSmiPath: nvidiaSmi,
        run,
        logger,
      });

      const resources = NodeResourcesSchema.parse(await probe.resources());
      expect(listed.length).toBeGreaterThan(0);
      expect(resources.gpus).toHaveLength(listed.length);
      expect(resources.gpus.map(({ index, name, uuid }) => ({ index, name, uuid }))).toEqual(listed);
      for (const gpu of resources.gpus) expect(gpu.memoryTotalBytes).toBeGreaterThan(0);

      const usage = NodeUsageSchema.parse(await probe.usage());
      expect(usage.gpus.map((gpu) => gpu.index)).toEqual(listed.map((gpu) => gpu.index));
      expect(logger.lines).toEqual([]);
    },
    120_000,
  );
});
