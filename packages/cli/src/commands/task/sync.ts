import type { Task } from '@kawa/protocol';
import { describeBytes } from '../../output/progress-bar.js';

interface SyncStep {
  /** "loading env foo", "pulling image debian:12", "waiting to load env foo". */
  label: string;
  doneBytes: number;
  totalBytes: number | null;
}

/** What a syncing task's node is doing to make its image present; null when not syncing. */
function syncStep(task: Task): SyncStep | null {
  const sync = task.syncProgress;
  if (task.status !== 'syncing' || sync === null) return null;
  const kind = task.image === null ? 'env' : 'image';
  const label =
    sync.phase === 'pulling'
      ? `pulling image ${sync.what}`
      : sync.phase === 'loading'
        ? `loading ${kind} ${sync.what}`
        : `waiting to ${kind === 'image' ? 'pull' : 'load'} ${kind} ${sync.what}`;
  return { label, doneBytes: sync.doneBytes, totalBytes: sync.totalBytes };
}

/** "loading env foo 312 MB / 1.0 GB (31%)", with a bar in between when `bar`. */
export function describeSync(task: Task, bar = false): string | null {
  const step = syncStep(task);
  return step === null ? null : describeBytes(step.label, step.doneBytes, step.totalBytes, bar);
}
