import type { ErrorCode, RunnerReportedStatus, TaskAction } from '@kawa/protocol';
import type { Logger } from '../../logger.js';
import { errorMessage } from '../../util/errno.js';
import { sleep } from '../../util/sleep.js';
import { signalGroup, type LiveTask } from './live-task.js';

export type ControlOutcome = { ok: true } | { ok: false; code: ErrorCode; message: string };

/** The answer to `stop` for a command task: only a VPS stops (and may be restarted later). */
export function notAVps(taskId: number): ControlOutcome {
  return {
    ok: false,
    code: 'KAWA_ERR_NOT_A_VPS',
    message: `cannot stop task ${taskId}: only a VPS stops; kill a command task instead`,
  };
}

export interface TaskControlDeps {
  nodeName: string;
  logger: Logger;
  /** A task went to paused or back to running: report it (before the control answers). */
  onChange: (task: LiveTask, status: Extract<RunnerReportedStatus, 'running' | 'paused'>) => void;
}

/** How long a kill waits for the process to be gone before answering. */
const KILL_WAIT_MS = 10_000;

/** Kill, pause and resume of live tasks: freezer where there is one, signals otherwise. */
export function createTaskControls({ nodeName, logger, onChange }: TaskControlDeps): {
  runControl: (task: LiveTask, action: TaskAction) => Promise<ControlOutcome>;
  killProcesses: (task: LiveTask) => Promise<void>;
} {
  /**
   * SIGKILLs the task's group and cgroup. Best effort: the task may exit (and its cgroup go)
   * at any moment in between, which is the goal, not an error.
   */
  async function killProcesses(task: LiveTask): Promise<void> {
    signalGroup(task.pid, 'SIGKILL');
    const cgroup = task.cgroup;
    if (cgroup === null) return;
    const quietly = (what: string) => (error: unknown) =>
      logger.debug(`${what} of task ${task.spec.id}: ${errorMessage(error)}`);
    await cgroup.killAll().catch(quietly('killing the cgroup'));
    // Frozen or stopped processes hold a pending SIGKILL until they run again.
    if (task.pausedWith === 'freezer') await cgroup.thaw().catch(quietly('thawing'));
    if (task.pausedWith === 'signal') signalGroup(task.pid, 'SIGCONT');
  }

  const invalid = (task: LiveTask, action: TaskAction, status: string): ControlOutcome => ({
    ok: false,
    code: 'KAWA_ERR_INVALID_STATE',
    message: `cannot ${action} task ${task.spec.id}: it is ${status}`,
  });

  async function kill(task: LiveTask): Promise<ControlOutcome> {
    if (task.status === 'ending') return invalid(task, 'kill', 'already ending');
    task.killRequested = true;
    if (task.status !== 'starting') await killProcesses(task);
    const gone = await Promise.race([task.finished.then(() => true), sleep(KILL_WAIT_MS).then(() => false)]);
    // SIGKILL is on its way; a process stuck in the kernel (D state) dies when it returns.
    if (!gone) logger.warn(`task ${task.spec.id} is still alive ${KILL_WAIT_MS} ms after SIGKILL`);
    return { ok: true };
  }

  async function pause(task: LiveTask): Promise<ControlOutcome> {
    await task.started;
    if (task.status !== 'running') return invalid(task, 'pause', task.status === 'ending' ? 'finished' : task.status);
    let frozen: boolean;
    try {
      frozen = (await task.cgroup?.freeze()) ?? false;
    } catch (error) {
      // The task may have exited (and its cgroup gone) while it was being frozen.
      if (task.status !== 'running') return invalid(task, 'pause', 'finished');
      throw error;
    }
    if (!frozen) signalGroup(task.pid, 'SIGSTOP');
    if (task.status !== 'running') return invalid(task, 'pause', 'finished');
    task.status = 'paused';
    task.pausedWith = frozen ? 'freezer' : 'signal';
    onChange(task, 'paused');
    return { ok: true };
  }

  async function resume(task: LiveTask): Promise<ControlOutcome> {
    await task.started;
    if (task.status !== 'paused') return invalid(task, 'resume', task.status === 'ending' ? 'finished' : task.status);
    try {
      if (task.pausedWith === 'freezer') await task.cgroup?.thaw();
      else signalGroup(task.pid, 'SIGCONT');
    } catch (error) {
      if (task.status !== 'paused') return invalid(task, 'resume', 'finished');
      throw error;
    }
    if (task.status !== 'paused') return invalid(task, 'resume', 'finished');
    task.status = 'running';
    task.pausedWith = null;
    onChange(task, 'running');
    return { ok: true };
  }

  async function runControl(task: LiveTask, action: TaskAction): Promise<ControlOutcome> {
    try {
      switch (action) {
        case 'kill':
          return await kill(task);
        case 'pause':
          return await pause(task);
        case 'resume':
          return await resume(task);
        case 'stop':
          // A no-Docker task is never a VPS.
          return notAVps(task.spec.id);
      }
    } catch (error) {
      logger.error(`${action} of task ${task.spec.id} failed: ${errorMessage(error)}`);
      return {
        ok: false,
        code: 'KAWA_ERR_INTERNAL',
        message: `${action} failed on node ${nodeName}: ${errorMessage(error)}`,
      };
    }
  }

  return { runControl, killProcesses };
}
