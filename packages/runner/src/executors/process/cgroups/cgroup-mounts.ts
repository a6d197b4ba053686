import { join } from 'node:path';
import { readTextOrNull } from '../../../util/read-text.js';

/** The v1 controllers the process executor uses. */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'freezer', 'pids'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export interface CgroupMounts {
  /** Where each v1 controller is mounted. Co-mounted controllers (cpu,cpuacct) share a dir. */
  v1: Partial<Record<V1Controller, string>>;
  /** The cgroup2 mount, if any (all of /sys/fs/cgroup, or /sys/fs/cgroup/unified in hybrid mode). */
  v2: string | null;
}

/** Mount points escape space, tab, newline and backslash as octal (`\040`). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses /proc/self/mounts for cgroup and cgroup2 mounts. */
export function parseCgroupMounts(text: string): CgroupMounts {
  const mounts: CgroupMounts = { v1: {}, v2: null };
  for (const line of text.split('\n')) {
    const [, rawPath, type, options] = line.split(' ');
    if (rawPath === undefined || options === undefined) continue;
    const path = unescapeMountPath(rawPath);
    if (type === 'cgroup2') {
      mounts.v2 ??= path;
    } else if (type === 'cgroup') {
      const flags = new Set(options.split(','));
      for (const controller of V1_CONTROLLERS) {
        if (flags.has(controller)) mounts.v1[controller] ??= path;
      }
    }
  }
  return mounts;
}

export async function readCgroupMounts(procRoot: string): Promise<CgroupMounts> {
  const text = await readTextOrNull(join(procRoot, 'self/mounts'));
  return text === null ? { v1: {}, v2: null } : parseCgroupMounts(text);
}
