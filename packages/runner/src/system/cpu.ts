import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { readTextOrNull } from '../util/read-text.js';

/** Cores the runner may use. availableParallelism honours affinity masks, unlike cpus().length. */
export function countCores(): number {
  return Math.max(1, availableParallelism());
}

/** Cumulative CPU time from the first line of /proc/stat, in clock ticks. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/**
 * Parses the aggregate `cpu` line of /proc/stat. Guest time is already counted in user time,
 * so only the first eight fields are summed; idle and iowait count as not busy.
 */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split('\n').find((candidate) => candidate.startsWith('cpu '));
  if (!line) return null;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 4 || fields.some((value) => !Number.isFinite(value))) return null;
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Whole-node CPU use between two samples, 0–100. */
export function cpuPercentBetween(previous: CpuTimes, current: CpuTimes): number {
  const total = current.total - previous.total;
  if (total <= 0) return 0;
  const percent = ((current.busy - previous.busy) / total) * 100;
  return Math.min(100, Math.max(0, Math.round(percent * 10) / 10));
}

export async function readCpuTimes(procRoot: string): Promise<CpuTimes | null> {
  const text = await readTextOrNull(join(procRoot, 'stat'));
  return text === null ? null : parseProcStat(text);
}
