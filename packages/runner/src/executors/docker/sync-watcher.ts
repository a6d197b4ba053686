import type { TaskProgressFrame } from '@kawa/protocol';
import type { SyncWatcher } from '../../envs/env-sync.js';
import { throttleProgress } from '../../envs/progress-throttle.js';
import type { Clock } from '../../util/clock.js';
import type { DockerTask } from './docker-task.js';

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
