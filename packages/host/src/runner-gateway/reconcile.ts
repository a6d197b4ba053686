import type { FastifyBaseLogger } from 'fastify';
import { canTransition, isFinalStatus, type HelloFrame, type Task } from '@kawa/protocol';
import type { TaskRepo } from '../store/task-repo.js';
import type { TaskLifecycle } from '../tasks/lifecycle.js';

type LiveTask = HelloFrame['liveTasks'][number];

/** What the host asks a runner to do with a task it reported in `hello`. */
export interface ReconcileAction {
  taskId: number;
  action: 'kill' | 'stop';
}

/**
 * Brings the host's view of a node's tasks in line with what its runner reports in `hello`.
 * Tasks the host placed there that the runner no longer has are lost; a lost task the runner
 * still runs comes back (the one way out of a final state). Returns what the caller must ask
 * the runner: kill tasks it runs although the host considers them finished or never gave them
 * to it (nothing could ever report on them), and stop a VPS the host has as `stopped` (a stop
 * that reached the runner while the host missed its answer must not be undone into a kill).
 */
export function reconcileNode(
  node: string,
  liveTasks: readonly LiveTask[],
  tasks: TaskRepo,
  lifecycle: TaskLifecycle,
  log: FastifyBaseLogger,
  requeue: (task: Task) => void = () => undefined,
): ReconcileAction[] {
  const reported = new Map(liveTasks.map((live) => [live.taskId, live.status]));
  const actions: ReconcileAction[] = [];
  const kill = (taskId: number): void => {
    actions.push({ taskId, action: 'kill' });
  };
  tasks.transaction(() => {
    for (const task of tasks.liveOnNode(node)) {
      // A stopped VPS has no container: the runner is not expected to report it.
      if (reported.has(task.id) || task.status === 'stopped') continue;
      if (task.status === 'assigned') {
        // Its task-start never arrived: the host stopped with the frame unsent or in a socket
        // the kill reset (a runner lists every task it was given, ended ones until their final
        // event is acked). Nothing ran, so it goes back to the queue rather than to lost.
        const requeued = lifecycle.transition(task, 'pending', {
          reason: `node ${node} never received it; requeued`,
        });
        if (requeued) requeue(requeued);
        continue;
      }
      lifecycle.transition(task, 'lost', { reason: `the runner on ${node} no longer has it` });
    }
    for (const [taskId, status] of reported) {
      const task = tasks.get(taskId);
      if (!task || task.node !== node) {
        log.warn({ node, taskId }, 'runner reports a task the host never placed there; killing it');
        kill(taskId);
        continue;
      }
      if (task.status === status) continue;
      if (task.status === 'stopped') {
        if (!isFinalStatus(status)) actions.push({ taskId, action: 'stop' });
        continue;
      }
      if (task.status === 'lost') {
        // Only a task still alive comes back; a VPS the runner has stopped stays lost.
        if (isFinalStatus(status) || status === 'stopped') continue;
        // With --retry the lost task was requeued as a new attempt, which may run already:
        // reviving this one would run the work twice.
        const retry = tasks.retryOf(task.id);
        if (retry !== null) {
          log.info({ node, taskId, retryId: retry.id }, 'a lost task came back after its retry was queued; killing it');
          lifecycle.note(
            task,
            `node ${node} came back with the task still alive; killed there, since task ${retry.id} retries it`,
          );
          kill(taskId);
          continue;
        }
        const back = lifecycle.transition(task, 'running', {
          reason: `node ${node} came back with the task still alive`,
        });
        if (back && status === 'paused') lifecycle.transition(back, 'paused', { reason: null });
        continue;
      }
      if (isFinalStatus(task.status)) {
        if (!isFinalStatus(status)) kill(taskId);
        continue;
      }
      if (canTransition(task.status, status)) {
        lifecycle.transition(task, status, {
          reason: isFinalStatus(status) ? `reported by node ${node} when it reconnected` : null,
        });
      } else {
        log.warn(
          { node, taskId, host: task.status, runner: status },
          'runner reports an impossible state; keeping the host state',
        );
      }
    }
  });
  return actions;
}
