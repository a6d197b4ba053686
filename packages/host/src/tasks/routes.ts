import { connectionSignal } from '../http/disconnect.js';
import type { RouteHandlers } from '../http/route-table.js';
import type { TasksService } from './service.js';

type TaskRoutes =
  | 'submitTasks'
  | 'listTasks'
  | 'getTask'
  | 'waitTask'
  | 'taskEvents'
  | 'killTask'
  | 'pauseTask'
  | 'resumeTask'
  | 'killBatch';

export function taskRouteHandlers(tasks: TasksService, shutdown: AbortSignal): Pick<RouteHandlers, TaskRoutes> {
  return {
    submitTasks: ({ principal, body }) => tasks.submit(principal, body),
    listTasks: ({ principal, query }) => tasks.list(principal, query),
    getTask: ({ principal, params }) => tasks.getFor(principal, params.id),
    waitTask: ({ principal, params, query, reply }) =>
      tasks.wait(principal, params.id, query.timeoutMs, connectionSignal(reply, shutdown)),
    taskEvents: ({ principal, params }) => ({ events: tasks.events(principal, params.id) }),
    // The owner check comes first: another user's task is refused whatever its state.
    killTask: ({ principal, params }) => tasks.control(tasks.getFor(principal, params.id, 'kill').id, 'kill'),
    pauseTask: ({ principal, params }) => tasks.control(tasks.getFor(principal, params.id, 'pause').id, 'pause'),
    resumeTask: ({ principal, params }) => tasks.control(tasks.getFor(principal, params.id, 'resume').id, 'resume'),
    killBatch: ({ principal, params }) => tasks.killBatch(principal, params.id),
  };
}
