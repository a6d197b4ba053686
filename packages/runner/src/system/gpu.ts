import type { Gpu, GpuUsage } from '@kawa/protocol';
import type { Logger } from '../logger.js';
import { errorMessage } from '../util/errno.js';
import type { RunCommand } from '../util/run-command.js';

/** The one nvidia-smi query; its fields feed both the resources and the usage. */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu',
  '--format=csv,noheader,nounits',
] as const;

/** As many GPUs as the protocol carries per node. */
const MAX_GPUS = 64;

export interface GpuSample {
  gpu: Gpu;
  usage: GpuUsage;
}

/** What one nvidia-smi output holds: the GPUs read, and the lines that were not GPUs. */
export interface NvidiaSmiOutput {
  samples: GpuSample[];
  unreadLines: string[];
}

const MIB = 1024 * 1024;

/** A number field; nvidia-smi writes `[N/A]` or `[Not Supported]` where it has none. */
function numberOrNull(text: string | undefined): number | null {
  if (text === undefined) return null;
  const value = Number(text.trim());
  return text.trim() === '' || !Number.isFinite(value) ? null : value;
}

function mibToBytes(text: string | undefined): number | null {
  const mib = numberOrNull(text);
  return mib === null ? null : Math.round(mib * MIB);
}

/**
 * Parses `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` output (one line per GPU,
 * fields in NVIDIA_SMI_ARGS order, memory in MiB). Lines that do not fit, such as the
 * "Unable to determine the device handle" line of a GPU that fell off the bus, are set aside.
 */
export function parseNvidiaSmi(text: string): NvidiaSmiOutput {
  const samples: GpuSample[] = [];
  const unreadLines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(',').map((field) => field.trim());
    const index = numberOrNull(fields[0]);
    if (fields.length < 7 || index === null || !Number.isInteger(index) || index < 0) {
      unreadLines.push(line.trim());
      continue;
    }
    samples.push({
      gpu: { index, name: fields[1] ?? '', uuid: fields[2] ?? '', memoryTotalBytes: mibToBytes(fields[3]) },
      usage: {
        index,
        memoryUsedBytes: mibToBytes(fields[4]),
        utilizationPercent: numberOrNull(fields[5]),
        temperatureCelsius: numberOrNull(fields[6]),
      },
    });
  }
  return { samples: samples.slice(0, MAX_GPUS), unreadLines };
}

/** One nvidia-smi run: the GPUs it gave, and why some or all are missing (null when none are). */
export interface GpuQuery {
  samples: GpuSample[];
  problem: string | null;
}

/** Queries the GPUs; a failing nvidia-smi means no GPUs and a problem, never an error. */
export async function queryGpus(nvidiaSmiPath: string, run: RunCommand): Promise<GpuQuery> {
  let output: NvidiaSmiOutput;
  try {
    output = parseNvidiaSmi(await run(nvidiaSmiPath, NVIDIA_SMI_ARGS));
  } catch (error) {
    return { samples: [], problem: `nvidia-smi failed, so this node reports no GPUs: ${errorMessage(error)}` };
  }
  const [first] = output.unreadLines;
  if (first === undefined) return { samples: output.samples, problem: null };
  return {
    samples: output.samples,
    problem:
      `nvidia-smi printed ${output.unreadLines.length} line(s) that are not GPUs Kawa can read, ` +
      `so this node reports ${output.samples.length} GPU(s); the first: "${first.slice(0, 200)}"`,
  };
}

/**
 * The probe's GPU reader. It runs nvidia-smi on every call (resources once, usage per
 * heartbeat) but logs a problem only when it changes, so a broken driver is one warning, not
 * one per heartbeat. Without nvidia-smi it says so once and reads no GPUs.
 */
export function createGpuReader(
  nvidiaSmiPath: string | null,
  run: RunCommand,
  logger: Pick<Logger, 'info' | 'warn'>,
): () => Promise<GpuSample[]> {
  if (nvidiaSmiPath === null) {
    logger.info('nvidia-smi is not on PATH, so this node reports no GPUs');
    return () => Promise.resolve([]);
  }
  let lastProblem: string | null = null;
  return async () => {
    const { samples, problem } = await queryGpus(nvidiaSmiPath, run);
    if (problem !== lastProblem) {
      if (problem !== null) logger.warn(problem);
      else logger.info(`nvidia-smi reads ${samples.length} GPU(s) again`);
      lastProblem = problem;
    }
    return samples;
  };
}
