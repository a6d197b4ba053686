import { setTimeout as delay } from 'node:timers/promises';
import { readExitFile } from '../../state/exit-file.js';
import { readProcStat } from '../../system/proc-stat.js';
import type { ProcessExit } from './spawner.js';

/** A no-Docker task of an earlier run of this runner, as its record names it. */
export interface AdoptedProcess {
  pid: number | null;
  /** From the record; null when it was never read, and then no live process is taken for the task. */
  startTime: string | null;
  /** Where the spawn helper writes its exit status (state/exit-file.ts). */
  exitPath: string;
}

export interface WatchOptions {
  procRoot: string;
  pollMs: number;
  /** How long the process may be gone without an exit file before its status counts as lost. */
  missingGraceMs: number;
  /** Ends the watch (the runner is closing); the promise then resolves as lost. */
  signal: AbortSignal;
}

/** Whether the process is still the task: same pid, same start time, not yet reaped. */
export async function isTaskProcess(process: AdoptedProcess, procRoot: string): Promise<boolean> {
  if (process.pid === null || process.startTime === null) return false;
  const stat = await readProcStat(process.pid, procRoot);
  return stat !== null && stat.startTime === process.startTime;
}

/**
 * Waits for the end of a task this runner did not spawn: it is not the task's parent, so it
 * cannot wait for it, and polls instead. The spawn helper that is its parent writes the exit
 * status to the exit file once it has reaped the process; that file is the answer. A process
 * that is gone (or whose pid now names another process) with no file after the grace has lost
 * its status: its parent helper died too.
 */
export async function watchAdoptedExit(process: AdoptedProcess, options: WatchOptions): Promise<ProcessExit> {
  let missingSince: number | null = null;
  while (!options.signal.aborted) {
    const recorded = await readExitFile(process.exitPath).catch(() => null);
    if (recorded !== null) return { ...recorded, exitFile: true };
    if (await isTaskProcess(process, options.procRoot)) {
      missingSince = null;
    } else {
      missingSince ??= Date.now();
      if (Date.now() - missingSince >= options.missingGraceMs) return { code: null, signal: null, lost: true };
    }
    await delay(options.pollMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
  return { code: null, signal: null, lost: true };
}
