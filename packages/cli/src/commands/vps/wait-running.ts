import { KawaError, isFinalStatus, type Task } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { formatDuration } from '../../output/format.js';
import { createProgress } from '../../output/progress.js';
import { describeSync } from '../task/sync.js';

/** How often the VPS is looked at while it is placed, synced and started. */
const POLL_MS = 500;

/**
 * Polls VPS `id` until it runs (or is paused: it has started). Ending, or being stopped, on
 * the way is an error that carries the task's reason. A spinner shows the state on a TTY.
 */
export async function waitUntilRunning(context: CliContext, id: number): Promise<Task> {
  const progress = createProgress(context.io.stderr, context.fancy);
  const started = Date.now();
  try {
    for (;;) {
      const task = await context.client().call('getTask', { params: { id } });
      if (task.status === 'running' || task.status === 'paused') return task;
      if (isFinalStatus(task.status) || task.status === 'stopped') {
        const why = task.reason === null ? '' : `: ${task.reason}`;
        throw new KawaError('KAWA_ERR_INVALID_STATE', `VPS ${id} did not start; it is ${task.status}${why}`, {
          details: { taskId: id, status: task.status },
        });
      }
      const doing = describeSync(task, context.fancy) ?? task.reason ?? '';
      progress.update(
        `VPS ${id} ${task.status}${doing === '' ? '' : `: ${doing}`} · ${formatDuration(Date.now() - started)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    progress.done();
  }
}
