import { KawaError, type Task } from '@kawa/protocol';
import type { CliContext } from '../../context.js';
import { writeLine } from '../../io.js';
import { writeJson } from '../../output/json.js';
import { formatDuration } from '../../output/format.js';
import { createProgress } from '../../output/progress.js';
import { createOccasionalLines } from '../../output/progress-bar.js';
import { describeOutcome, exitCodeOfTasks } from './outcome.js';
import { describeSync } from './sync.js';

/** On a TTY, polls return every two seconds so the spinner shows state changes. */
const TTY_POLL_MS = 2_000;
/** Elsewhere, every ten seconds: often enough for a log to see an env sync progress. */
const PLAIN_POLL_MS = 10_000;
/** Plain sync lines (for logs): a new phase at once, otherwise at most this often. */
const PLAIN_LINE_MS = 10_000;

/**
 * Waits for every task to reach a final state, in id order (one long-poll at a time, so a
 * large batch does not open a connection per task). Shows a spinner on a TTY, with a progress
 * bar while a task's env syncs; elsewhere sync progress goes to stderr as occasional lines.
 */
export async function waitForTasks(context: CliContext, ids: readonly number[], timeoutMs?: number): Promise<Task[]> {
  const client = context.client();
  const progress = createProgress(context.io.stderr, context.fancy);
  const printSync = createOccasionalLines(context.io.stderr, PLAIN_LINE_MS);
  const started = Date.now();
  const deadline = timeoutMs === undefined ? undefined : started + timeoutMs;
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const finished: Task[] = [];
  try {
    for (const id of sorted) {
      const remaining = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
      const task = await client.waitTask(id, {
        ...(remaining === undefined ? {} : { timeoutMs: remaining }),
        pollMs: context.fancy ? TTY_POLL_MS : PLAIN_POLL_MS,
        onUpdate: (update) => {
          const count = sorted.length > 1 ? ` (${finished.length}/${sorted.length} done)` : '';
          const where = update.node === null ? '' : ` on ${update.node}`;
          const why = update.status === 'pending' && update.reason ? `: ${update.reason}` : '';
          // While the node loads the task's env, how far it has got: a bar for a person, a line for a log.
          const sync = describeSync(update, context.fancy);
          const doing = sync === null ? why : `: ${sync}`;
          progress.update(
            `task ${id} ${update.status}${where}${doing}${count} · ${formatDuration(Date.now() - started)}`,
          );
          if (!context.fancy && sync !== null)
            printSync(`${id} ${update.syncProgress?.phase ?? ''}`, `task ${id} syncing${where}: ${sync}`);
        },
      });
      finished.push(task);
    }
  } catch (error) {
    if (error instanceof KawaError && error.code === 'KAWA_ERR_TIMEOUT' && timeoutMs !== undefined) {
      const waiting = sorted.filter((id) => !finished.some((task) => task.id === id));
      const status = (error.details as { status?: string } | undefined)?.status ?? 'not finished';
      const more = waiting.length > 1 ? ` (and ${waiting.length - 1} more not yet seen to finish)` : '';
      throw new KawaError(
        'KAWA_ERR_TIMEOUT',
        `gave up after ${timeoutMs / 1000}s: task ${waiting[0] ?? '?'} is still ${status}${more}`,
        {
          details: error.details,
        },
      );
    }
    throw error;
  } finally {
    progress.done();
  }
  return finished;
}

/** Prints the outcome of waited tasks (lines, or JSON) and returns the exit code. */
export function reportOutcome(
  context: CliContext,
  tasks: readonly Task[],
  json: boolean,
  extra: Record<string, unknown> = {},
  retriesIncluded = false,
): number {
  if (json) writeJson(context.io.stdout, { ...extra, tasks });
  else for (const task of tasks) writeLine(context.io.stdout, describeOutcome(task));
  if (!json && context.fancy && tasks.length === 1 && tasks[0]) {
    writeLine(
      context.io.stderr,
      `output: kawa task logs ${tasks[0].id}${tasks[0].exitCode !== 0 ? ` (stderr: kawa task logs ${tasks[0].id} --stderr)` : ''}`,
    );
  }
  return exitCodeOfTasks(tasks, retriesIncluded);
}
