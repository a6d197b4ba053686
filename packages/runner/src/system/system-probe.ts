import type { NodeResources, NodeUsage } from '@kawa/protocol';
import { countCores, cpuPercentBetween, readCpuTimes, type CpuTimes } from './cpu.js';
import type { Logger } from '../logger.js';
import type { RunCommand } from '../util/run-command.js';
import { createGpuReader } from './gpu.js';
import { readMemory } from './memory.js';
import { readNumaZones } from './numa.js';
import type { SystemRoots } from './roots.js';
import { readTemperatures } from './temperatures.js';

export interface SystemProbeOptions {
  roots: SystemRoots;
  hostname: string;
  /** nvidia-smi's resolved path, or null where there is none. */
  nvidiaSmiPath: string | null;
  run: RunCommand;
  /** Where the GPU reader says why a node reports fewer GPUs than it may have. */
  logger: Pick<Logger, 'info' | 'warn'>;
  cores?: () => number;
}

/** What the runner tells the host about its machine: resources once, usage per heartbeat. */
export interface SystemProbe {
  resources(): Promise<NodeResources>;
  /** Usage since the previous call (CPU % is a delta of /proc/stat). */
  usage(): Promise<NodeUsage>;
}

export async function createSystemProbe(options: SystemProbeOptions): Promise<SystemProbe> {
  const { roots } = options;
  let previousCpu: CpuTimes | null = await readCpuTimes(roots.procRoot);
  const readGpus = createGpuReader(options.nvidiaSmiPath, options.run, options.logger);

  return {
    async resources() {
      const cores = (options.cores ?? countCores)();
      const [memory, gpus] = await Promise.all([readMemory(roots.procRoot), readGpus()]);
      const memoryBytes = memory?.totalBytes ?? 0;
      const numa = await readNumaZones(roots.sysRoot, { cores, memoryBytes });
      return {
        hostname: options.hostname.slice(0, 255),
        cores,
        memoryBytes,
        numa,
        gpus: gpus.map((sample) => sample.gpu),
      };
    },

    async usage() {
      const [cpu, memory, temperatures, gpus] = await Promise.all([
        readCpuTimes(roots.procRoot),
        readMemory(roots.procRoot),
        readTemperatures(roots.sysRoot),
        readGpus(),
      ]);
      const cpuPercent = cpu !== null && previousCpu !== null ? cpuPercentBetween(previousCpu, cpu) : 0;
      previousCpu = cpu ?? previousCpu;
      return {
        cpuPercent,
        memoryUsedBytes: memory?.usedBytes ?? 0,
        memoryTotalBytes: memory?.totalBytes ?? 0,
        temperatures,
        gpus: gpus.map((sample) => sample.usage),
      };
    },
  };
}
