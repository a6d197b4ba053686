import type { Task } from '@kawa/protocol';

/** "task 12 failed on node1, exit code 3": one line per finished task. */
export function describeOutcome(task: Task): string {
  const where = task.node === null ? '' : ` on ${task.node}`;
  const code = task.exitCode === null ? '' : `, exit code ${task.exitCode}`;
  // A plain failure is told by its exit code; the reason matters for the other endings
  // (oom, killed, lost, could not start).
  const telling = task.status !== 'completed' && !(task.status === 'failed' && task.exitCode !== null);
  const reason = telling && task.reason !== null && task.reason !== '' ? ` (${task.reason})` : '';
  return `task ${task.id} ${task.status}${where}${code}${reason}`;
}

/**
 * The exit code of a wait, as Slurm's srun gives its job's: the first non-zero code in id
 * order. A task that ended without one (killed, lost, could not start) counts as 1, and codes a
 * process cannot exit with map to 1 too, so a failure never reads as success.
 */
export function exitCodeOfTasks(tasks: readonly Task[]): number {
  for (const task of [...tasks].sort((a, b) => a.id - b.id)) {
    const code = task.exitCode ?? 1;
    if (code === 0 && task.status === 'completed') continue;
    return code >= 1 && code <= 255 ? code : 1;
  }
  return 0;
}
