import type { SyncProgress } from '@kawa/protocol';
import type { Clock } from '../util/clock.js';

/** At most four progress frames a second per task: enough for a bar, light on the link. */
export const PROGRESS_INTERVAL_MS = 250;

/**
 * Passes on a task's progress at most once per interval, dropping what comes in between. A
 * change of phase (waiting → loading) and the first report of completion always pass, so the
 * last frame a watcher sees is the 100 % one.
 */
export function throttleProgress(
  send: (progress: SyncProgress) => void,
  clock: Clock,
  intervalMs = PROGRESS_INTERVAL_MS,
): (progress: SyncProgress) => void {
  let lastAt: number | null = null;
  let lastPhase: SyncProgress['phase'] | null = null;
  let sentComplete = false;
  return (progress) => {
    const now = clock.now();
    const complete = progress.totalBytes !== null && progress.doneBytes >= progress.totalBytes;
    const phaseChanged = progress.phase !== lastPhase;
    const due = lastAt === null || now - lastAt >= intervalMs;
    if (complete && sentComplete && !phaseChanged) return;
    if (!phaseChanged && !due && !complete) return;
    lastAt = now;
    lastPhase = progress.phase;
    sentComplete = complete;
    send(progress);
  };
}
