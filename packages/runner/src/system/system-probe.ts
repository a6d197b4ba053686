import type { NodeResources, NodeUsage } from '@kawa/protocol';
import { countCores, cpuPercentBetween, readCpuTimes, type CpuTimes } from './cpu.js';
import type { RunCommand } from '../util/run-command.js';
import { queryGpus } from './gpu.js';
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

  return {
    async resources() {
      const cores = (options.cores ?? countCores)();
      const [memory, gpus] = await Promise.all([
        readMemory(roots.procRoot),
        queryGpus(options.nvidiaSmiPath, options.run),
      ]);
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
        queryGpus(options.nvidiaSmiPath, options.run),
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
