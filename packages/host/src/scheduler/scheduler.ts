import type { FastifyBaseLogger } from 'fastify';
import type { Task } from '@kawa/protocol';
import type { Clock } from '../clock.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { TaskLifecycle } from '../tasks/lifecycle.js';
import type { TaskRepo } from '../store/task-repo.js';
import { describeWait } from './describe.js';
import type { Placement, SchedulePolicy, WaitReason } from './model.js';
import { PendingQueue, toQueued } from './queue.js';
import { schedule } from './schedule.js';

/**
 * A pass slower than this (a queue of many thousands) is followed by a pause as long as it took
 * before the next one, so the scheduler never takes more than half the host's time; faster
 * passes (every ordinary queue) run at once.
 */
export const SLOW_PASS_MS = 5;

/** Delivers a placed task to its node; false when the node's link is gone. */
export type TaskStarter = (node: string, task: Task) => boolean;

export interface SchedulerDeps {
  tasks: TaskRepo;
  nodes: NodeRegistry;
  lifecycle: TaskLifecycle;
  startTask: TaskStarter;
  clock: Clock;
  policy: SchedulePolicy;
  log: FastifyBaseLogger;
}

/**
 * The shell around the pure `schedule` function: it keeps the pending queue in memory, feeds a
 * pass the nodes and holdings from the registry, then applies the outcome: placed tasks become
 * `assigned` (in one transaction) and get their `task-start`; the others keep the pass's reason.
 */
export class Scheduler {
  private readonly queue = new PendingQueue();
  /**
   * Tasks queued since the last pass, whole: the pass right after a submit places them without
   * reading back the rows the submit just wrote. Emptied by every pass, so it never holds more
   * than one burst (the queue itself keeps only what placement needs).
   */
  private fresh = new Map<number, Task>();
  /** Wait reasons of the last pass, per shape; formatted on demand, once per reason. */
  private reasons = new Map<string, WaitReason>();
  private readonly texts = new WeakMap<WaitReason, string>();
  private reservations: ReadonlyMap<number, string> = new Map();
  private roundRobinAfter: string | null = null;
  private passing = false;
  private passAgain = false;
  private lastPassEnd = 0;
  private lastPassMs = 0;
  private deferred: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Queues a pending task (a task already queued is left where it is). */
  enqueue(task: Task): void {
    if (task.status !== 'pending') return;
    this.queue.add(toQueued(task));
    this.fresh.set(task.id, task);
  }

  /** Forgets a task that left `pending` other than by placement (killed before it started). */
  remove(taskId: number): void {
    this.queue.remove(taskId);
    this.fresh.delete(taskId);
  }

  /** Why a pending task waits, as of the last pass; null if it has not been looked at yet. */
  pendingReason(taskId: number): string | null {
    const queued = this.queue.get(taskId);
    const reason = queued && this.reasons.get(queued.shape);
    if (!reason) return null;
    let text = this.texts.get(reason);
    if (text === undefined) {
      text = describeWait(reason);
      this.texts.set(reason, text);
    }
    return text;
  }

  get pendingCount(): number {
    return this.queue.size;
  }

  /** The backfill reservations of the last pass (task id → node). */
  get reserved(): ReadonlyMap<number, string> {
    return this.reservations;
  }

  /**
   * Runs a pass now. A request made during a pass (a placement that frees nothing, a task that
   * ends while frames go out) runs one more pass right after, never a nested one.
   */
  requestPass(): void {
    if (this.passing) {
      this.passAgain = true;
      return;
    }
    if (this.deferred !== null || this.stopped) return;
    const wait = this.lastPassMs >= SLOW_PASS_MS ? this.lastPassEnd + this.lastPassMs - this.deps.clock.now() : 0;
    if (wait <= 0) return this.runPasses();
    // One pass after the pause serves every request made during it.
    this.deferred = setTimeout(() => {
      this.deferred = null;
      if (!this.stopped) this.runPasses();
    }, wait);
    this.deferred.unref();
  }

  private runPasses(): void {
    const { clock } = this.deps;
    this.passing = true;
    try {
      do {
        this.passAgain = false;
        const started = clock.now();
        this.pass();
        this.lastPassEnd = clock.now();
        this.lastPassMs = this.lastPassEnd - started;
      } while (this.passAgain);
    } finally {
      this.passing = false;
    }
  }

  /** No more passes (the host is shutting down, its store about to close). */
  stop(): void {
    this.stopped = true;
    if (this.deferred !== null) clearTimeout(this.deferred);
    this.deferred = null;
  }

  private pass(): void {
    const { tasks, nodes, clock, policy } = this.deps;
    const result = schedule(
      {
        nodes: nodes.all(),
        holdings: nodes.holdings(),
        queue: this.queue.snapshot(),
        queueOrdered: true,
        reservations: this.reservations,
        roundRobinAfter: this.roundRobinAfter,
        now: clock.now(),
      },
      policy,
    );
    this.reasons = result.waiting;
    this.reservations = result.reservations;
    this.roundRobinAfter = result.roundRobinAfter;
    const fresh = this.fresh;
    this.fresh = new Map();
    const placed = tasks.transaction(() => {
      // The rows of tasks queued before the last pass, read in one statement rather than one each.
      const older = result.placements.filter((placement) => !fresh.has(placement.taskId));
      const stored = older.length === 0 ? fresh : tasks.getMany(older.map((placement) => placement.taskId));
      return result.placements.flatMap((placement) => this.assign(placement, fresh, stored));
    });
    // Frames go out only after the placements are committed, so a fast runner can never report
    // on a task the database does not show as assigned.
    for (const task of placed) this.deliver(task);
  }

  private assign(placement: Placement, fresh: ReadonlyMap<number, Task>, stored: ReadonlyMap<number, Task>): Task[] {
    this.queue.remove(placement.taskId);
    // A fresh copy is the task as its submit stored it, so the row need not be read back; an
    // older one was read with the pass's other placements. The change applies only if the row
    // still matches the copy; if not, the stored row, read again, decides.
    const copy = fresh.get(placement.taskId) ?? stored.get(placement.taskId);
    const assigned =
      (copy === undefined ? null : this.place(copy, placement)) ??
      this.place(this.deps.tasks.get(placement.taskId), placement);
    if (assigned) return [assigned];
    this.deps.log.warn({ taskId: placement.taskId }, 'a queued task was no longer pending; dropped it from the queue');
    return [];
  }

  private place(task: Task | null, placement: Placement): Task | null {
    if (task === null) return null;
    return this.deps.lifecycle.transition(task, 'assigned', {
      reason: null,
      placement: { node: placement.node, numa: placement.numa, gpus: placement.gpus },
    });
  }

  private deliver(task: Task): void {
    if (task.node === null || this.deps.startTask(task.node, task)) return;
    // The link closed between placement and delivery, so the task never reached the node. It
    // goes back to the queue (assigned → pending) instead of waiting to be declared lost, and
    // the node gets no more placements until it says hello again.
    this.deps.log.warn({ taskId: task.id, node: task.node }, 'could not deliver task-start; requeued the task');
    this.deps.nodes.setConnected(task.node, false);
    const requeued = this.deps.lifecycle.transition(task, 'pending', {
      reason: `node ${task.node} disconnected before the task reached it`,
    });
    if (requeued) {
      this.enqueue(requeued);
      // One more pass (right after this one) gives it its wait reason or another node.
      this.requestPass();
    }
  }
}
