import {
  KawaError,
  isFinalStatus,
  restartableStatuses,
  type HostConfig,
  type ListTasksQuery,
  type ListTasksResponse,
  type SubmitTaskRequest,
  type SubmitTaskResponse,
  type Task,
  type TaskAction,
  type TaskEvent,
  type TaskStatus,
} from '@kawa/protocol';
import type { Clock } from '../clock.js';
import type { Principal } from '../auth/principal.js';
import type { EnvCheck } from '../envs/env-check.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { RunnerGateway } from '../runner-gateway/gateway.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { TaskRepo } from '../store/task-repo.js';
import type { TaskLifecycle } from './lifecycle.js';
import { requireOwner } from './ownership.js';
import { NOT_YET_SCHEDULED, planSubmit } from './submit.js';
import type { FinalWaiters } from './waiters.js';

export interface TasksServiceDeps {
  config: HostConfig;
  tasks: TaskRepo;
  nodes: NodeRegistry;
  lifecycle: TaskLifecycle;
  scheduler: Scheduler;
  gateway: RunnerGateway;
  waiters: FinalWaiters;
  envs: EnvCheck;
  clock: Clock;
  commandTimeoutMs: number;
}

/** Which states each action applies to, and what to say otherwise. */
const actionStates: Record<TaskAction, { allowed: ReadonlySet<string>; refusal: string }> = {
  kill: {
    allowed: new Set(['pending', 'assigned', 'syncing', 'running', 'paused', 'stopped']),
    refusal: 'it has already ended',
  },
  pause: { allowed: new Set(['running']), refusal: 'only a running task can be paused' },
  resume: { allowed: new Set(['paused']), refusal: 'only a paused task can be resumed' },
  // A pending VPS is never asked to stop (the VPS service kills it: it never ran).
  stop: { allowed: new Set(['assigned', 'syncing', 'running', 'paused']), refusal: 'it is not on a node' },
};

/** What a task that is killed without its runner says: it never started, or it was a stopped VPS. */
const localKillReasons: Partial<Record<TaskStatus, string>> = {
  pending: 'killed before it started',
  stopped: 'killed while stopped',
};

export class TasksService {
  constructor(private readonly deps: TasksServiceDeps) {}

  async submit(principal: Principal, request: SubmitTaskRequest): Promise<SubmitTaskResponse> {
    const rows = await planSubmit(request, principal, this.deps.config, this.deps.nodes, this.deps.envs);
    // insertBatch returns only after its transaction committed: the 201 is never ahead of the disk.
    const { batchId, tasks } = this.deps.tasks.insertBatch(
      principal.user,
      rows,
      this.deps.clock.now(),
      NOT_YET_SCHEDULED,
    );
    for (const task of tasks) this.deps.scheduler.enqueue(task);
    this.deps.scheduler.requestPass();
    return { batchId, taskIds: tasks.map((task) => task.id) };
  }

  get(id: number): Task {
    const task = this.deps.tasks.get(id);
    if (!task) throw new KawaError('KAWA_ERR_TASK_NOT_FOUND', `no task has id ${id}`);
    return this.withLiveReason(task);
  }

  /** The task, if `principal` may see it: its owner or an admin (else a 403). */
  getFor(principal: Principal, id: number, action = 'see'): Task {
    const task = this.get(id);
    requireOwner(principal, task, action);
    return task;
  }

  /** Tasks `principal` may see: an admin's list has everyone's, a user's only their own. */
  list(principal: Principal, query: ListTasksQuery): ListTasksResponse {
    const page = this.deps.tasks.list(query, principal.admin ? undefined : principal.user);
    return { ...page, tasks: page.tasks.map((task) => this.withLiveReason(task)) };
  }

  events(principal: Principal, id: number): TaskEvent[] {
    this.getFor(principal, id);
    return this.deps.tasks.events(id);
  }

  /**
   * Kill, pause, resume or stop. A pending task (or a stopped VPS, which has no container) is
   * killed here; a placed one is asked through its runner, and the answer is the task as stored
   * once the runner confirmed (it reports the state change before the command result, so the
   * store is already up to date).
   */
  async control(id: number, action: TaskAction): Promise<Task> {
    const task = this.get(id);
    const rule = actionStates[action];
    if (!rule.allowed.has(task.status)) {
      throw new KawaError(
        'KAWA_ERR_INVALID_STATE',
        `cannot ${action} task ${id}: it is ${task.status}, and ${rule.refusal}`,
        {
          details: { status: task.status },
        },
      );
    }
    const localReason = action === 'kill' ? localKillReasons[task.status] : undefined;
    if (localReason !== undefined) {
      this.deps.scheduler.remove(id);
      const killed = this.deps.lifecycle.transition(task, 'killed', { reason: localReason });
      if (!killed) throw new Error(`task ${id} left ${task.status} while being killed`);
      return killed;
    }
    if (task.node === null) throw new Error(`task ${id} is ${task.status} but has no node`);
    const result = await this.deps.gateway.command(task.node, id, action, this.deps.commandTimeoutMs);
    if (!result.ok) {
      const code = result.error?.code ?? 'KAWA_ERR_INTERNAL';
      throw new KawaError(code, result.error?.message ?? `node ${task.node} refused to ${action} task ${id}`);
    }
    return this.get(id);
  }

  /**
   * Kills every task of a batch that has not ended. The pending ones go first, in one
   * transaction, so that a running task freeing its resources cannot get them placed; the
   * placed ones are asked through their runners, in parallel. Tasks that end on their own
   * meanwhile are not counted; a runner that cannot be reached fails the request, naming what
   * was killed and what was not.
   */
  async killBatch(principal: Principal, batchId: number): Promise<{ batchId: number; killed: number[] }> {
    const owner = this.deps.tasks.batchOwner(batchId);
    if (owner === null)
      throw new KawaError('KAWA_ERR_BATCH_NOT_FOUND', `no batch has id ${batchId}; "kawa task list" shows batch ids`);
    if (!principal.admin && owner !== principal.user)
      throw new KawaError(
        'KAWA_ERR_FORBIDDEN',
        `cannot kill batch ${batchId}: it belongs to ${owner}, and only its owner or an admin may`,
        { details: { owner } },
      );
    const live = this.deps.tasks.liveInBatch(batchId);
    const killed = this.deps.tasks.transaction(() =>
      live
        .filter((task) => task.status === 'pending')
        .flatMap((task) => {
          this.deps.scheduler.remove(task.id);
          const done = this.deps.lifecycle.transition(task, 'killed', { reason: `batch ${batchId} was killed` });
          return done ? [done.id] : [];
        }),
    );
    const placed = live.filter((task) => task.status !== 'pending');
    const results = await Promise.allSettled(placed.map((task) => this.control(task.id, 'kill')));
    const failed: { id: number; error: KawaError }[] = [];
    results.forEach((result, index) => {
      const id = (placed[index] as Task).id;
      if (result.status === 'fulfilled') killed.push(id);
      else if (!(result.reason instanceof KawaError)) throw result.reason;
      // Ended on its own between the read and the kill: nothing left to kill.
      else if (result.reason.code !== 'KAWA_ERR_INVALID_STATE') failed.push({ id, error: result.reason });
    });
    killed.sort((a, b) => a - b);
    const first = failed[0];
    if (first !== undefined)
      throw new KawaError(
        first.error.code,
        `killed ${killed.length} tasks of batch ${batchId}, but not ${failed.map((task) => task.id).join(', ')}: ${first.error.message}`,
        { details: { batchId, killed, failed: failed.map((task) => ({ id: task.id, code: task.error.code })) } },
      );
    return { batchId, killed };
  }

  /**
   * The task once it is final or a stopped VPS (which changes only when someone restarts or
   * kills it), or as it is when `timeoutMs` passes or the client leaves.
   */
  async wait(principal: Principal, id: number, timeoutMs: number, signal: AbortSignal): Promise<Task> {
    const task = this.getFor(principal, id);
    if (isFinalStatus(task.status) || restartableStatuses.has(task.status)) return task;
    await this.deps.waiters.waitFinal(id, timeoutMs, signal);
    return this.get(id);
  }

  /** Pending tasks show the scheduler's current reason rather than the one stored at submit. */
  withLiveReason(task: Task): Task {
    if (task.status !== 'pending') return task;
    const reason = this.deps.scheduler.pendingReason(task.id);
    return reason === null ? task : { ...task, reason };
  }
}
