import { holdingStatuses, isFinalStatus, type Task } from '@kawa/protocol';
import { api } from './session';

/** What the dashboard's task buttons do; stop and restart are for VPS tasks only. */
export type TaskButton = 'kill' | 'pause' | 'resume' | 'stop' | 'restart';

const routeOf = {
  kill: 'killTask',
  pause: 'pauseTask',
  resume: 'resumeTask',
  stop: 'stopVps',
  restart: 'restartVps',
} as const satisfies Record<TaskButton, string>;

/** Runs an action on a task; the answer is the task as it is after it. */
export function runTaskAction(id: number, action: TaskButton): Promise<Task> {
  return api().call(routeOf[action], { params: { id } });
}

/** Whether the button makes sense in the task's state (the host has the last word). */
export function actionApplies(task: Task, action: TaskButton): boolean {
  switch (action) {
    case 'kill':
      return !isFinalStatus(task.status);
    case 'pause':
      return task.status === 'running';
    case 'resume':
      return task.status === 'paused';
    case 'stop':
      return task.kind === 'vps' && holdingStatuses.has(task.status);
    case 'restart':
      return task.kind === 'vps' && ['running', 'paused', 'stopped'].includes(task.status);
  }
}

/** Whether the task runs in a Docker container (an env, an image, a VPS), not on the node itself. */
export function inContainer(task: Task): boolean {
  return task.container !== null || task.image !== null;
}

/** A running task in a container can open a terminal (docker exec); a no-Docker one cannot. */
export function hasTerminal(task: Task): boolean {
  return task.status === 'running' && inContainer(task);
}
