import {
  ErrorBodySchema,
  HostContainerSchema,
  ListTasksResponseSchema,
  NodeSchema,
  SubmitTaskResponseSchema,
  TaskEventsResponseSchema,
  TaskSchema,
  buildPath,
  routes,
  type ErrorBody,
  type HostContainer,
  type Node,
  type SubmitTaskInput,
  type SubmitTaskResponse,
  type Task,
  type TaskEvent,
} from '@kawa/protocol';
import type { TestHost } from './test-host.js';

/** Small typed calls for tests; each answer is parsed with the route's response schema. */
export async function submit(host: TestHost, body: SubmitTaskInput): Promise<SubmitTaskResponse> {
  const response = await host.app.inject({
    method: 'POST',
    url: routes.submitTasks.path,
    headers: host.admin,
    payload: body,
  });
  if (response.statusCode !== 201) throw new Error(`submit answered ${response.statusCode}: ${response.body}`);
  return SubmitTaskResponseSchema.parse(response.json());
}

export async function getTask(host: TestHost, id: number): Promise<Task> {
  const response = await host.app.inject({
    method: 'GET',
    url: buildPath(routes.getTask.path, { id }),
    headers: host.admin,
  });
  if (response.statusCode !== 200) throw new Error(`get task answered ${response.statusCode}: ${response.body}`);
  return TaskSchema.parse(response.json());
}

export async function getNode(host: TestHost, name: string): Promise<Node> {
  const response = await host.app.inject({
    method: 'GET',
    url: buildPath(routes.getNode.path, { name }),
    headers: host.admin,
  });
  if (response.statusCode !== 200) throw new Error(`get node answered ${response.statusCode}: ${response.body}`);
  return NodeSchema.parse(response.json());
}

export async function listTasks(host: TestHost, query = ''): Promise<ReturnType<typeof ListTasksResponseSchema.parse>> {
  const response = await host.app.inject({
    method: 'GET',
    url: `${routes.listTasks.path}${query}`,
    headers: host.admin,
  });
  if (response.statusCode !== 200) throw new Error(`list answered ${response.statusCode}: ${response.body}`);
  return ListTasksResponseSchema.parse(response.json());
}

export type ActionAnswer = { status: number; task: Task | null; error: ErrorBody['error'] | null };

export async function taskAction(
  host: TestHost,
  id: number,
  action: 'kill' | 'pause' | 'resume',
): Promise<ActionAnswer> {
  const response = await host.app.inject({
    method: 'POST',
    url: `${buildPath(routes.getTask.path, { id })}/${action}`,
    headers: host.admin,
  });
  if (response.statusCode === 200) return { status: 200, task: TaskSchema.parse(response.json()), error: null };
  return { status: response.statusCode, task: null, error: ErrorBodySchema.parse(response.json()).error };
}

/** Polls `check` until it returns a value other than undefined; bounded in time. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until task `id` is in `status`, returning it. */
export function taskReaches(host: TestHost, id: number, status: Task['status'], timeoutMs = 5_000): Promise<Task> {
  return eventually(async () => {
    const task = await getTask(host, id);
    return task.status === status ? task : undefined;
  }, timeoutMs);
}

/** An error answer's status and body, parsed. */
export async function errorOf(
  response: Promise<{ statusCode: number; json(): unknown }> | { statusCode: number; json(): unknown },
): Promise<{ status: number; error: ErrorBody['error'] }> {
  const answer = await response;
  return { status: answer.statusCode, error: ErrorBodySchema.parse(answer.json()).error };
}

/** Creates (and starts) the host container of `name` through the API. */
export async function createHostContainer(host: TestHost, name: string, image: string): Promise<HostContainer> {
  const response = await host.app.inject({
    method: 'POST',
    url: routes.createHostContainer.path,
    headers: host.admin,
    payload: { image, name },
  });
  if (response.statusCode !== 201)
    throw new Error(`container create answered ${response.statusCode}: ${response.body}`);
  return HostContainerSchema.parse(response.json());
}

/** POSTs a route that takes no body (drain, undrain, batch kill) and returns status and JSON. */
export async function post(
  host: TestHost,
  path: string,
  headers: Record<string, string> = host.admin,
): Promise<{ status: number; body: unknown }> {
  const response = await host.app.inject({ method: 'POST', url: path, headers });
  return { status: response.statusCode, body: response.json() };
}

export async function taskEvents(host: TestHost, id: number): Promise<TaskEvent[]> {
  const response = await host.app.inject({
    method: 'GET',
    url: buildPath(routes.taskEvents.path, { id }),
    headers: host.admin,
  });
  if (response.statusCode !== 200) throw new Error(`task events answered ${response.statusCode}: ${response.body}`);
  return TaskEventsResponseSchema.parse(response.json()).events;
}
