import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NumaZone } from '@kawa/protocol';
import { readTextOrNull } from '../util/read-text.js';
import { parseMeminfo } from './memory.js';

/** Parses a kernel cpu list such as `0-3,8-11,16`. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [first, last] = part.split('-').map(Number);
    if (first === undefined || !Number.isInteger(first)) continue;
    const end = last === undefined ? first : last;
    if (!Number.isInteger(end)) continue;
    for (let cpu = first; cpu <= end; cpu += 1) cpus.push(cpu);
  }
  return cpus;
}

/**
 * NUMA zones from /sys/devices/system/node/node<N>/{cpulist,meminfo}. Machines (or
 * containers) without that dir get one zone holding every cpu and all memory.
 */
export async function readNumaZones(
  sysRoot: string,
  fallback: { cores: number; memoryBytes: number },
): Promise<NumaZone[]> {
  const nodeDir = join(sysRoot, 'devices/system/node');
  let entries: string[];
  try {
    entries = await readdir(nodeDir);
  } catch {
    entries = [];
  }
  const ids = entries
    .map((entry) => /^node(\d+)$/.exec(entry)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const zones = await Promise.all(
    ids.map(async (id): Promise<NumaZone> => {
      const [cpulist, meminfo] = await Promise.all([
        readTextOrNull(join(nodeDir, `node${id}`, 'cpulist')),
        readTextOrNull(join(nodeDir, `node${id}`, 'meminfo')),
      ]);
      return {
        id,
        cpus: cpulist === null ? [] : parseCpuList(cpulist),
        memoryBytes: meminfo === null ? null : (parseMeminfo(meminfo).get('MemTotal') ?? null),
      };
    }),
  );
  if (zones.length > 0) return zones;
  return [{ id: 0, cpus: Array.from({ length: fallback.cores }, (_, cpu) => cpu), memoryBytes: fallback.memoryBytes }];
}
