import { isKawaError, type TaskAction } from '@kawa/protocol';
import type { Logger } from '../../logger.js';
import { errorMessage } from '../../util/errno.js';
import { sleep } from '../../util/sleep.js';
import { notAVps, type ControlOutcome } from '../process/task-control.js';
import type { DockerEngine } from './docker-engine.js';
import type { DockerTask } from './docker-task.js';

export interface DockerControlDeps {
  engine: DockerEngine;
  nodeName: string;
  logger: Logger;
  /** A task went to paused or back to running: report it (before the control answers). */
  onChange: (task: DockerTask, status: 'running' | 'paused') => void;
}

/** How long a kill waits for the task's final event before answering. */
const KILL_WAIT_MS = 10_000;

export interface DockerControls {
  runControl: (task: DockerTask, action: TaskAction) => Promise<ControlOutcome>;
  stopContainer: (task: DockerTask) => Promise<void>;
  /** Pause or resume, for VPS controls too: the same engine calls and state changes. */
  toggle: (task: DockerTask, action: 'pause' | 'resume') => Promise<ControlOutcome>;
  /** Logs and answers an action that threw. */
  failed: (task: DockerTask, action: TaskAction, error: unknown) => ControlOutcome;
}

/** Kill, pause and resume of Docker tasks through the Engine API; `stop` is for a VPS only. */
export function createDockerControls({ engine, nodeName, logger, onChange }: DockerControlDeps): DockerControls {
  const quietly = (task: DockerTask, what: string) => (error: unknown) =>
    logger.debug(`${what} of task ${task.spec.id}: ${errorMessage(error)}`);

  /**
   * SIGKILLs the container, paused or not. Docker 20.10 on cgroup v1 thaws a paused container
   * to deliver the kill (checked on the test engine: it exits 137 without an unpause); other
   * engine and runtime versions have left it frozen with the signal pending, so a container
   * still paused afterwards is resumed to let the kill land. Best effort: the container may
   * exit by itself at any moment, which is the goal, not an error.
   */
  async function stopContainer(task: DockerTask): Promise<void> {
    const id = task.containerId;
    if (id === null) return;
    await engine.killContainer(id).catch(quietly(task, 'killing the container'));
    const state = await engine.inspectContainer(id).catch(() => null);
    if (state?.paused === true) await engine.unpauseContainer(id).catch(quietly(task, 'unpausing the container'));
  }

  const invalid = (task: DockerTask, action: TaskAction, status: string): ControlOutcome => ({
    ok: false,
    code: 'KAWA_ERR_INVALID_STATE',
    message: `cannot ${action} task ${task.spec.id}: it is ${status}`,
  });

  async function kill(task: DockerTask): Promise<ControlOutcome> {
    if (task.status === 'ending') return invalid(task, 'kill', 'already ending');
    task.killRequested = true;
    // Syncing: stop waiting for the image (the start-up then reports killed); starting: the
    // start-up sees killRequested once its container exists.
    if (task.status === 'syncing') task.abort.abort(new Error('killed while syncing'));
    else if (task.status !== 'starting') await stopContainer(task);
    const gone = await Promise.race([task.finished.then(() => true), sleep(KILL_WAIT_MS).then(() => false)]);
    if (!gone) logger.warn(`task ${task.spec.id} has not ended ${KILL_WAIT_MS} ms after its kill`);
    return { ok: true };
  }

  /** Pause and resume: one engine call, from one state to the other. */
  async function toggle(task: DockerTask, action: 'pause' | 'resume'): Promise<ControlOutcome> {
    const [from, to] = action === 'pause' ? (['running', 'paused'] as const) : (['paused', 'running'] as const);
    // A syncing task has no container to pause yet; it keeps its place in the sync.
    if (task.status === 'syncing') return invalid(task, action, 'syncing (its image is being loaded)');
    await task.started;
    if (task.status !== from) return invalid(task, action, task.status === 'ending' ? 'finished' : task.status);
    const id = task.containerId as string;
    try {
      await (action === 'pause' ? engine.pauseContainer(id) : engine.unpauseContainer(id));
    } catch (error) {
      // The container may have exited while the call was on its way.
      if (task.status !== from) return invalid(task, action, 'finished');
      throw error;
    }
    if (task.status !== from) return invalid(task, action, 'finished');
    task.status = to;
    onChange(task, to);
    return { ok: true };
  }

  async function runControl(task: DockerTask, action: TaskAction): Promise<ControlOutcome> {
    try {
      switch (action) {
        case 'kill':
          return await kill(task);
        case 'pause':
        case 'resume':
          return await toggle(task, action);
        case 'stop':
          // The VPS executor answers for VPS tasks; these are command tasks.
          return notAVps(task.spec.id);
      }
    } catch (error) {
      return failed(task, action, error);
    }
  }

  function failed(task: DockerTask, action: TaskAction, error: unknown): ControlOutcome {
    logger.error(`${action} of task ${task.spec.id} failed: ${errorMessage(error)}`);
    return {
      ok: false,
      code: isKawaError(error) ? error.code : 'KAWA_ERR_INTERNAL',
      message: `${action} failed on node ${nodeName}: ${errorMessage(error)}`,
    };
  }

  return { runControl, stopContainer, toggle, failed };
}
