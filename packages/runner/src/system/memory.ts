import { join } from 'node:path';
import { readTextOrNull } from '../util/read-text.js';

/** Parses /proc/meminfo (or a NUMA node's meminfo) into bytes per field name. */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    // "MemTotal:       24683284 kB" or, per NUMA node, "Node 0 MemTotal:       24683284 kB".
    const match = /^(?:Node \d+ )?(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?\s*$/.exec(line.trim());
    if (!match) continue;
    const kilobytes = line.trim().endsWith('kB');
    fields.set(match[1] as string, Number(match[2]) * (kilobytes ? 1024 : 1));
  }
  return fields;
}

export interface MemoryInfo {
  totalBytes: number;
  usedBytes: number;
}

/** Total and used memory; used is MemTotal − MemAvailable, what `free` calls used plus cache pressure. */
export async function readMemory(procRoot: string): Promise<MemoryInfo | null> {
  const text = await readTextOrNull(join(procRoot, 'meminfo'));
  if (text === null) return null;
  const fields = parseMeminfo(text);
  const total = fields.get('MemTotal');
  if (total === undefined) return null;
  const available = fields.get('MemAvailable') ?? fields.get('MemFree') ?? total;
  return { totalBytes: total, usedBytes: Math.max(0, total - available) };
}
