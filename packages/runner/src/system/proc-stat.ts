import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ProcStat {
  /** `R`, `S`, `D`, `Z` (exited, not reaped yet), `T` (stopped), … */
  state: string;
  /** Field 22, in clock ticks since boot: with the pid, it names one process for good. */
  startTime: string;
}

/**
 * The state and start time of a process from `/proc/<pid>/stat`, or null when there is no such
 * process. A pid alone is not enough to find a task again after a runner restart: the kernel
 * reuses pids, and the start time tells a reused one from the task's.
 */
export async function readProcStat(pid: number, procRoot = '/proc'): Promise<ProcStat | null> {
  let text: string;
  try {
    text = await readFile(join(procRoot, String(pid), 'stat'), 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return null;
  return { state, startTime };
}
