import type { Gpu, GpuUsage } from '@kawa/protocol';
import type { RunCommand } from '../util/run-command.js';

/** The one nvidia-smi query; its fields feed both the resources and the usage. */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu',
  '--format=csv,noheader,nounits',
] as const;

export interface GpuSample {
  gpu: Gpu;
  usage: GpuUsage;
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
 * fields in NVIDIA_SMI_ARGS order, memory in MiB). Lines that do not fit are skipped.
 */
export function parseNvidiaSmi(text: string): GpuSample[] {
  const samples: GpuSample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length < 7) continue;
    const index = numberOrNull(fields[0]);
    if (index === null || !Number.isInteger(index) || index < 0) continue;
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
  return samples.slice(0, 64);
}

/** Queries the GPUs; no nvidia-smi (or a failing one) means no GPUs, never an error. */
export async function queryGpus(nvidiaSmiPath: string | null, run: RunCommand): Promise<GpuSample[]> {
  if (nvidiaSmiPath === null) return [];
  try {
    return parseNvidiaSmi(await run(nvidiaSmiPath, NVIDIA_SMI_ARGS));
  } catch {
    return [];
  }
}
