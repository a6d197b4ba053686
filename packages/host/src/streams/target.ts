import { KawaError, TaskIdParamsSchema, parseOrThrow, wsRoutes, type StreamKind, type Task } from '@kawa/protocol';
import type { Principal } from '../auth/principal.js';
import { requireOwner } from '../tasks/ownership.js';

/** A stream the client may open: checked before the upgrade, so a refusal is plain HTTP. */
export interface StreamTarget {
  kind: StreamKind;
  taskId: number;
  node: string;
  cols: number;
  rows: number;
  command: string[] | null;
}

export interface StreamRequest {
  principal: Principal;
  params: unknown;
  query: unknown;
}

export interface TargetDeps {
  task(id: number): Task | null;
  isConnected(node: string): boolean;
}

/**
 * Decides whether `request` may open a `kind` stream, in the order a user can act on: the
 * request's shape (400), the task (404), its owner (403), that an SSH stream goes to a VPS
 * (400 KAWA_ERR_NOT_A_VPS) and a terminal to a container, that it runs (409) and that its node
 * is connected (503).
 */
export function streamTarget(kind: StreamKind, request: StreamRequest, deps: TargetDeps): StreamTarget {
  const { id } = parseOrThrow(TaskIdParamsSchema, request.params, 'path parameters');
  const terminal = { cols: 80, rows: 24, command: null as string[] | null };
  if (kind === 'terminal') {
    const query = parseOrThrow(wsRoutes.taskTerminal.query, request.query, 'query');
    Object.assign(terminal, { cols: query.cols, rows: query.rows, command: query.command ?? null });
  } else {
    parseOrThrow(wsRoutes.vpsSsh.query, request.query, 'query');
  }
  const task = deps.task(id);
  if (!task) throw new KawaError('KAWA_ERR_TASK_NOT_FOUND', `no task has id ${id}`);
  requireOwner(request.principal, task, kind === 'ssh' ? 'ssh into' : 'open a terminal in');
  if (kind === 'ssh' && task.kind !== 'vps')
    throw new KawaError(
      'KAWA_ERR_NOT_A_VPS',
      `task ${id} is a command task; kawa ssh needs a VPS (kawa connect opens a terminal)`,
    );
  if (kind === 'terminal' && task.container === null && task.image === null)
    throw new KawaError(
      'KAWA_ERR_BAD_REQUEST',
      `task ${id} runs on its node without Docker (container NULL): it has no container to open a terminal in`,
    );
  if (task.status !== 'running') {
    const hint = task.status === 'paused' ? ': resume it first' : task.status === 'stopped' ? ': restart it first' : '';
    throw new KawaError('KAWA_ERR_INVALID_STATE', `task ${id} is ${task.status}, not running${hint}`, {
      details: { status: task.status },
    });
  }
  if (task.node === null) throw new Error(`task ${id} is running but has no node`);
  if (!deps.isConnected(task.node))
    throw new KawaError(
      'KAWA_ERR_RUNNER_UNAVAILABLE',
      `node ${task.node} is not connected, so no stream can reach task ${id}; try again when it is back`,
    );
  return { kind, taskId: id, node: task.node, ...terminal };
}
