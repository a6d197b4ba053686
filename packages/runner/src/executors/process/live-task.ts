import type { TaskSpec } from '@kawa/protocol';
import type { TaskCgroup } from './cgroups/task-cgroup.js';

/** Where a task is on this node; `ending` from its exit until its final event is out. */
export type LocalStatus = 'starting' | 'running' | 'paused' | 'ending';

/** A task the executor is starting, running or ending. */
export interface LiveTask {
  spec: TaskSpec;
  status: LocalStatus;
  pid: number | null;
  /** The process's start time (/proc/<pid>/stat), recorded against pid reuse. */
  pidStartTime: string | null;
  cgroup: TaskCgroup | null;
  killRequested: boolean;
  pausedWith: 'freezer' | 'signal' | null;
  startedAt: number | null;
  /** Settles when start-up is over, whether the process started or not. */
  started: Promise<void>;
  /** Settles once the final event is emitted. */
  finished: Promise<void>;
  markFinished: () => void;
  /** Control actions on one task run one after another. */
  controls: Promise<unknown>;
}

export function newLiveTask(spec: TaskSpec): LiveTask {
  let markFinished = (): void => {};
  const finished = new Promise<void>((resolve) => (markFinished = resolve));
  return {
    spec,
    status: 'starting',
    pid: null,
    pidStartTime: null,
    cgroup: null,
    killRequested: false,
    pausedWith: null,
    startedAt: null,
    started: Promise.resolve(),
    finished,
    markFinished,
    controls: Promise.resolve(),
  };
}

/** Signals a task's whole process group (its pid: tasks are session leaders). */
export function signalGroup(pgid: number | null, signal: NodeJS.Signals): void {
  if (pgid === null) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone.
  }
}
