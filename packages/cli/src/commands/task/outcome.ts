import type { Task } from '@kawa/protocol';

/**
 * Whether the host requeued this ended task as a new attempt (a new task in the same batch):
 * `--retry N` retries a lost task, and with `--retry-on-fail` a failed one, while attempts last.
 */
export function isRetried(task: Task): boolean {
  return task.attempt <= task.retry && (task.status === 'lost' || (task.status === 'failed' && task.retryOnFail));
}

/** "task 12 failed on node1, exit code 3": one line per finished task. */
export function describeOutcome(task: Task): string {
  const where = task.node === null ? '' : ` on ${task.node}`;
  const code = task.exitCode === null ? '' : `, exit code ${task.exitCode}`;
  // A plain failure is told by its exit code; the reason matters for the other endings
  // (oom, killed, lost, could not start).
  const telling = task.status !== 'completed' && !(task.status === 'failed' && task.exitCode !== null);
  const reason = telling && task.reason !== null && task.reason !== '' ? ` (${task.reason})` : '';
  const retried = isRetried(task)
    ? `; retried as attempt ${task.attempt + 1} of ${task.retry + 1} in batch ${task.batchId}`
    : '';
  return `task ${task.id} ${task.status}${where}${code}${reason}${retried}`;
}

/**
 * The exit code of a wait, as Slurm's srun gives its job's: the first non-zero code in id
 * order. A task that ended without one (killed, lost, could not start) counts as 1, and codes a
 * process cannot exit with map to 1 too, so a failure never reads as success. With
 * `retriesIncluded` (a whole batch was waited for, its retries too) a retried task does not
 * count: its last attempt does.
 */
export function exitCodeOfTasks(tasks: readonly Task[], retriesIncluded = false): number {
  for (const task of [...tasks].sort((a, b) => a.id - b.id)) {
    if (retriesIncluded && isRetried(task)) continue;
    const code = task.exitCode ?? 1;
    if (code === 0 && task.status === 'completed') continue;
    return code >= 1 && code <= 255 ? code : 1;
  }
  return 0;
}
