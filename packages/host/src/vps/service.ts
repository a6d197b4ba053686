import {
  KawaError,
  holdingStatuses,
  isFinalStatus,
  type CreateVpsRequest,
  type HostConfig,
  type Task,
} from '@kawa/protocol';
import type { Principal } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import type { EnvCheck } from '../envs/env-check.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { TaskRepo } from '../store/task-repo.js';
import type { TaskLifecycle } from '../tasks/lifecycle.js';
import { requireOwner } from '../tasks/ownership.js';
import type { TasksService } from '../tasks/service.js';
import { NOT_YET_SCHEDULED } from '../tasks/submit.js';
import { planVps } from './plan.js';

export interface VpsServiceDeps {
  config: HostConfig;
  tasks: TaskRepo;
  nodes: NodeRegistry;
  lifecycle: TaskLifecycle;
  scheduler: Scheduler;
  envs: EnvCheck;
  clock: Clock;
  /** Task reads (with live pending reasons) and runner actions. */
  taskService: TasksService;
}

/**
 * VPS tasks: created and placed like a task of one, stopped (the runner removes the container,
 * the task holds nothing and is `stopped`) and restarted (back to `pending`, so the scheduler
 * places it again and the runner recreates the container from the same env and stored key).
 * Pause, resume and kill are the task actions.
 */
export class VpsService {
  constructor(private readonly deps: VpsServiceDeps) {}

  async create(principal: Principal, request: CreateVpsRequest): Promise<Task> {
    const { config, nodes, envs, tasks, clock, scheduler } = this.deps;
    const row = await planVps(request, principal, config, nodes, envs);
    const [task] = tasks.insertBatch(principal.user, [row], clock.now(), NOT_YET_SCHEDULED).tasks;
    if (task === undefined) throw new Error('a VPS insert returned no task');
    scheduler.enqueue(task);
    scheduler.requestPass();
    return this.deps.taskService.get(task.id);
  }

  /** VPS tasks that are not final, newest first: all of them for an admin, a user's own otherwise. */
  list(principal: Principal): Task[] {
    return this.deps.tasks
      .liveVps(principal.admin ? undefined : principal.user)
      .map((task) => this.deps.taskService.withLiveReason(task));
  }

  /**
   * Stops a VPS. On a node (assigned, syncing, running, paused) the runner removes its container
   * and reports `stopped`. A pending VPS never ran and the state machine has no pending →
   * stopped, so it is killed (there is nothing to restart). Stopping a stopped VPS is a no-op.
   */
  async stop(principal: Principal, id: number): Promise<Task> {
    const task = this.requireVps(principal, id, 'stop');
    if (task.status === 'stopped') return task;
    if (task.status === 'pending') {
      this.deps.scheduler.remove(id);
      const killed = this.deps.lifecycle.transition(task, 'killed', {
        reason: 'stopped before it was placed: a VPS that never ran is killed, not kept',
      });
      // Placed meanwhile (a pass ran between the read and here): stop it on its node instead.
      return killed ?? this.stop(principal, id);
    }
    if (isFinalStatus(task.status)) throw this.ended(task, 'stop');
    return this.deps.taskService.control(id, 'stop');
  }

  /**
   * Restarts a VPS: a stopped one goes back to `pending` and is placed again; one on a node is
   * stopped first. Its key and env are the stored ones, so auth never gets weaker. A pending
   * VPS is answered as it is (it starts when placed); a final one (lost, killed…) cannot come
   * back.
   */
  async restart(principal: Principal, id: number): Promise<Task> {
    let task = this.requireVps(principal, id, 'restart');
    if (task.status === 'pending') return this.deps.taskService.get(id);
    if (isFinalStatus(task.status)) throw this.ended(task, 'restart');
    if (holdingStatuses.has(task.status)) {
      task = await this.deps.taskService.control(id, 'stop');
      if (task.status !== 'stopped') {
        throw new KawaError(
          'KAWA_ERR_INVALID_STATE',
          `cannot restart VPS ${id}: it was stopped for the restart but is now ${task.status}`,
          { details: { status: task.status } },
        );
      }
    }
    const requeued = this.deps.lifecycle.transition(task, 'pending', {
      reason: `restarted by ${principal.user}; ${NOT_YET_SCHEDULED}`,
    });
    if (!requeued) {
      const now = this.deps.taskService.get(id);
      throw new KawaError('KAWA_ERR_INVALID_STATE', `cannot restart VPS ${id}: it changed to ${now.status} meanwhile`, {
        details: { status: now.status },
      });
    }
    this.deps.scheduler.enqueue(requeued);
    this.deps.scheduler.requestPass();
    return this.deps.taskService.get(id);
  }

  /** The VPS, once its owner is checked: another user's task is refused whatever its kind. */
  private requireVps(principal: Principal, id: number, action: string): Task {
    const task = this.deps.taskService.get(id);
    requireOwner(principal, task, action);
    if (task.kind !== 'vps') {
      throw new KawaError(
        'KAWA_ERR_NOT_A_VPS',
        `task ${id} is a command task; stop and restart are for VPS tasks (kill ends a command task)`,
      );
    }
    return task;
  }

  private ended(task: Task, action: string): KawaError {
    return new KawaError(
      'KAWA_ERR_INVALID_STATE',
      `cannot ${action} VPS ${task.id}: it is ${task.status}, which is final; create a new one with kawa vps create`,
      { details: { status: task.status } },
    );
  }
}
