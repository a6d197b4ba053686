import type { TaskProgressFrame } from '@kawa/protocol';
import type { EnvSync, ImageSource, SyncWatcher } from '../../envs/env-sync.js';
import { throttleProgress } from '../../envs/progress-throttle.js';
import type { Clock } from '../../util/clock.js';
import type { DockerEngine } from './docker-engine.js';
import type { DockerTask } from './docker-task.js';

export interface ImageSyncDeps {
  engine: DockerEngine;
  envSync: EnvSync;
  /** Reports the syncing event. */
  onSyncing: (message: string) => void;
  onProgress: (frame: TaskProgressFrame) => void;
  clock: Clock;
}

/**
 * The first step of every Docker task and VPS: the engine answers, and the image is made
 * present (env load or pull, shared with other tasks), followed by syncing events and progress.
 * Resolves with the image id to run, the task now `starting`; a kill aborts the wait.
 */
export async function syncTaskImage(task: DockerTask, source: ImageSource, deps: ImageSyncDeps): Promise<string> {
  await deps.engine.ping();
  const watcher = createSyncWatcher(task, deps.onSyncing, deps.onProgress, deps.clock);
  const image = await deps.envSync.prepare(source, watcher, task.abort.signal);
  task.status = 'starting';
  return image;
}

/**
 * How a Docker task or VPS follows its image sync: the syncing event (once, and only while the
 * task still syncs), then throttled progress frames.
 */
export function createSyncWatcher(
  task: DockerTask,
  onSyncing: (message: string) => void,
  onProgress: (frame: TaskProgressFrame) => void,
  clock: Clock,
): SyncWatcher {
  const send = throttleProgress(
    (progress) => onProgress({ type: 'task-progress', taskId: task.spec.id, progress }),
    clock,
  );
  let reported = false;
  return {
    syncing(message) {
      if (reported || task.status !== 'syncing') return;
      reported = true;
      onSyncing(message);
    },
    progress(progress) {
      if (task.status === 'syncing') send(progress);
    },
  };
}
