import {
  ErrorBodySchema,
  TaskSchema,
  buildPath,
  routes,
  wsRoutes,
  type CreateVpsInput,
  type Task,
} from '@kawa/protocol';
import type { ActionAnswer } from './api.js';
import { taskReaches } from './api.js';
import type { FakeRunner } from './fake-runner.js';
import type { TestHost } from './test-host.js';

/** A valid OpenSSH public key line for tests. */
export const TEST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk3mFcGZ7m2sL0m9bq2b4c1dQvJt8nM0wq8Yk7o1a2b user@laptop';

function answerOf(response: { statusCode: number; json(): unknown }, okStatus: number): ActionAnswer {
  if (response.statusCode === okStatus)
    return { status: okStatus, task: TaskSchema.parse(response.json()), error: null };
  return { status: response.statusCode, task: null, error: ErrorBodySchema.parse(response.json()).error };
}

/** POST /vps; the answer's status with the task or the coded error. */
export async function createVps(host: TestHost, body: Partial<CreateVpsInput> = {}): Promise<ActionAnswer> {
  const response = await host.app.inject({
    method: 'POST',
    url: routes.createVps.path,
    headers: host.admin,
    payload: { publicKey: TEST_KEY, image: 'debian:12', ...body },
  });
  return answerOf(response, 201);
}

export async function vpsAction(host: TestHost, id: number, action: 'stop' | 'restart'): Promise<ActionAnswer> {
  const route = action === 'stop' ? routes.stopVps : routes.restartVps;
  const response = await host.app.inject({ method: 'POST', url: buildPath(route.path, { id }), headers: host.admin });
  return answerOf(response, 200);
}

/** Creates a VPS (or takes `id`) that `runner` receives and reports running; returns it. */
export async function runningVps(
  host: TestHost,
  runner: FakeRunner,
  body: Partial<CreateVpsInput> = {},
): Promise<Task> {
  const created = await createVps(host, body);
  if (!created.task) throw new Error(`vps create answered ${created.status}: ${created.error?.message}`);
  const start = await runner.next('task-start');
  runner.report(start.task.id, 'running');
  return taskReaches(host, start.task.id, 'running');
}

/** ws:// URLs of a task's SSH and terminal streams. */
export function sshUrl(base: string, id: number): string {
  return `${base}${buildPath(wsRoutes.vpsSsh.path, { id })}`;
}

export function terminalUrl(base: string, id: number, query = ''): string {
  return `${base}${buildPath(wsRoutes.taskTerminal.path, { id })}${query}`;
}
