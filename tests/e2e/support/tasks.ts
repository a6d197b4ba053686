import type { SubmitTaskResponse, Task } from '@kawa/protocol';
import { eventually, type Cluster } from './cluster.js';

export async function getTask(cluster: Cluster, id: number): Promise<Task> {
  const { status, body } = await cluster.api<Task>('GET', `/api/v1/tasks/${id}`);
  if (status !== 200) throw new Error(`GET task ${id} answered ${status}`);
  return body;
}

/** Submits through the CLI with --json and returns the ids. */
export async function submit(cluster: Cluster, args: string[]): Promise<SubmitTaskResponse> {
  const result = await cluster.kawa(['task', 'submit', '--json', ...args]);
  if (result.code !== 0) throw new Error(`submit failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as SubmitTaskResponse;
}

export function waitForStatus(
  cluster: Cluster,
  id: number,
  statuses: Task['status'][],
  timeoutMs = 30_000,
): Promise<Task> {
  return eventually(
    async () => {
      const task = await getTask(cluster, id);
      return statuses.includes(task.status) ? task : null;
    },
    timeoutMs,
    `task ${id} to become ${statuses.join('|')}`,
  );
}
