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
    listTasks: ({ query }) => tasks.list(query),
    getTask: ({ params }) => tasks.get(params.id),
    waitTask: ({ params, query, reply }) => tasks.wait(params.id, query.timeoutMs, connectionSignal(reply, shutdown)),
    taskEvents: ({ params }) => ({ events: tasks.events(params.id) }),
    killTask: ({ params }) => tasks.control(params.id, 'kill'),
    pauseTask: ({ params }) => tasks.control(params.id, 'pause'),
    resumeTask: ({ params }) => tasks.control(params.id, 'resume'),
    killBatch: ({ params }) => tasks.killBatch(params.id),
  };
}
