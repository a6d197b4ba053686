import { KawaError } from '@kawa/protocol';
import type { CgroupLimits } from './task-cgroup.js';

function describeLimits(limits: CgroupLimits): string {
  const parts: string[] = [];
  if (limits.cores > 0) parts.push(`${limits.cores} cores`);
  if (limits.memoryBytes !== null) parts.push(`${limits.memoryBytes} bytes of memory`);
  return parts.join(' and ');
}

/** The error of a task whose limits cannot be applied: what, why, and what to do. */
export function cgroupUnavailable(limits: CgroupLimits, reason: string, cause?: unknown): KawaError {
  return new KawaError(
    'KAWA_ERR_CGROUP_UNAVAILABLE',
    `the task is limited to ${describeLimits(limits)} but the runner cannot apply cgroup limits: ${reason}. ` +
      'Run the runner as root on a machine with the cpu and memory cgroup controllers, or submit with --cores 0 and no --memory.',
    { cause },
  );
}
