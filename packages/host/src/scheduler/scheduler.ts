import type { FastifyBaseLogger } from 'fastify';
import { formatTarget, type Task } from '@kawa/protocol';
import type { NodeRegistry } from '../nodes/registry.js';
import type { TaskLifecycle } from '../tasks/lifecycle.js';
import type { TaskRepo } from '../store/task-repo.js';
import { place, type PlacementRequest } from './placement.js';

/** Pending tasks that ask for exactly the same thing, in id order. */
interface Shape {
  request: PlacementRequest;
  queue: Set<number>;
  /** Why the head of this shape waited in the last pass. */
  reason: string | null;
}

/** Delivers a placed task to its node; false when the node's link is gone. */
export type TaskStarter = (node: string, task: Task) => boolean;

function shapeKey(request: PlacementRequest): string {
  const target = request.target === null ? '*' : formatTarget(request.target);
  return `${target}|${request.cores}|${request.memoryBytes ?? '-'}`;
}

/**
 * FIFO placement over pending tasks. Pending tasks are grouped by shape (target, cores,
 * memory): if the head of a shape does not fit, no later task of that shape can fit in the same
 * pass either, so a pass costs O(shapes + placed) instead of O(pending). The wait reason is
 * kept per shape, in memory, and shown for every task of the shape.
 */
export class Scheduler {
  private readonly shapes = new Map<string, Shape>();
  private readonly shapeOfTask = new Map<number, Shape>();
  private passing = false;
  private passAgain = false;

  constructor(
    private readonly tasks: TaskRepo,
    private readonly nodes: NodeRegistry,
    private readonly lifecycle: TaskLifecycle,
    private readonly startTask: TaskStarter,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Queues pending tasks; they must come in increasing id order. */
  enqueue(task: Task): void {
    if (task.status !== 'pending' || this.shapeOfTask.has(task.id)) return;
    const request: PlacementRequest = { cores: task.cores, memoryBytes: task.memoryBytes, target: task.target };
    const key = shapeKey(request);
    let shape = this.shapes.get(key);
    if (!shape) {
      shape = { request, queue: new Set(), reason: null };
      this.shapes.set(key, shape);
    }
    shape.queue.add(task.id);
    this.shapeOfTask.set(task.id, shape);
  }

  /** Puts a task that was placed but never delivered back in its place in submit order. */
  private requeue(task: Task): void {
    this.enqueue(task);
    const shape = this.shapeOfTask.get(task.id);
    if (shape) shape.queue = new Set([...shape.queue].sort((a, b) => a - b));
  }

  /** Forgets a task that left `pending` other than by placement (killed before it started). */
  remove(taskId: number): void {
    const shape = this.shapeOfTask.get(taskId);
    if (!shape) return;
    shape.queue.delete(taskId);
    this.shapeOfTask.delete(taskId);
  }

  /** Why a pending task waits, as of the last pass; null if it has not been looked at yet. */
  pendingReason(taskId: number): string | null {
    return this.shapeOfTask.get(taskId)?.reason ?? null;
  }

  get pendingCount(): number {
    return this.shapeOfTask.size;
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
    this.passing = true;
    try {
      do {
        this.passAgain = false;
        this.pass();
      } while (this.passAgain);
    } finally {
      this.passing = false;
    }
  }

  private pass(): void {
    const blocked = new Set<Shape>();
    const placed: Task[] = [];
    this.tasks.transaction(() => {
      for (;;) {
        const next = this.nextHead(blocked);
        if (!next) break;
        const [taskId, shape] = next;
        const placement = place(shape.request, (name) => this.nodes.get(name), this.nodes.values());
        if (!placement.ok) {
          shape.reason = placement.reason;
          blocked.add(shape);
          continue;
        }
        this.remove(taskId);
        const task = this.tasks.get(taskId);
        const assigned = task
          ? this.lifecycle.transition(task, 'assigned', {
              reason: null,
              placement: { node: placement.node, numa: placement.numa, gpus: placement.gpus },
            })
          : null;
        if (assigned) placed.push(assigned);
        else this.log.warn({ taskId }, 'a queued task was no longer pending; dropped it from the queue');
      }
    });
    // Frames go out only after the placements are committed, so a fast runner can never report
    // on a task the database does not show as assigned.
    for (const task of placed) {
      if (task.node === null || this.startTask(task.node, task)) continue;
      // The link closed between placement and delivery, so the task never reached the node. It
      // goes back to the queue (assigned → pending) instead of waiting to be declared lost, and
      // the node gets no more placements until it says hello again.
      this.log.warn({ taskId: task.id, node: task.node }, 'could not deliver task-start; requeued the task');
      this.nodes.setConnected(task.node, false);
      const requeued = this.lifecycle.transition(task, 'pending', {
        reason: `node ${task.node} disconnected before the task reached it`,
      });
      if (requeued) {
        this.requeue(requeued);
        // One more pass (right after this one) gives it its wait reason or another node.
        this.requestPass();
      }
    }
    for (const [key, shape] of this.shapes) {
      if (shape.queue.size === 0) this.shapes.delete(key);
    }
  }

  /** The lowest pending id among shapes not yet blocked in this pass. */
  private nextHead(blocked: ReadonlySet<Shape>): [number, Shape] | null {
    let best: [number, Shape] | null = null;
    for (const shape of this.shapes.values()) {
      if (blocked.has(shape)) continue;
      const head = firstOf(shape.queue);
      if (head !== undefined && (best === null || head < best[0])) best = [head, shape];
    }
    return best;
  }
}

function firstOf(values: Set<number>): number | undefined {
  for (const value of values) return value;
  return undefined;
}
