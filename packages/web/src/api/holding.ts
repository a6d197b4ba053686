import { onUnmounted, ref } from 'vue';
import { holdingStatuses, type Task } from '@kawa/protocol';
import { errorText, handleAuthError } from './errors';
import { onTask } from './live';
import { api } from './session';

const HOLDING = [...holdingStatuses].join(',');

/**
 * The tasks that hold resources (assigned, syncing, running, paused): loaded once, then kept
 * up to date from the event stream. Nodes and GPUs use them to say who holds what.
 */
export function useHoldingTasks() {
  const tasks = ref<Task[]>([]);
  const error = ref<string | null>(null);
  const stop = onTask((task) => {
    const others = tasks.value.filter((known) => known.id !== task.id);
    tasks.value = holdingStatuses.has(task.status) ? [...others, task] : others;
  });
  onUnmounted(stop);
  api()
    .call('listTasks', { query: { status: HOLDING, limit: 1000 } })
    .then((page) => {
      // Changes that arrived while loading win over the page.
      const seen = new Map(tasks.value.map((task) => [task.id, task]));
      tasks.value = [...page.tasks.filter((task) => !seen.has(task.id)), ...seen.values()];
    })
    .catch((caught: unknown) => {
      handleAuthError(caught);
      error.value = errorText(caught);
    });
  return { tasks, error };
}
