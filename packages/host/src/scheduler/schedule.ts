import { fitsNow, neverFitsSlot, pickGpus, pickZone } from './fit.js';
import { Misses } from './misses.js';
import type {
  Holding,
  Placement,
  QueuedTask,
  ScheduleInput,
  SchedulePolicy,
  ScheduleResult,
  WaitReason,
} from './model.js';
import { RunCandidates, searchNodes } from './policies.js';
import { buildPool, take, type NodeSlot, type Pool } from './pool.js';
import { reserveFor } from './reservation.js';
import { inQueueOrder, shapeKey } from './shape.js';

/** Why the target of a task cannot take anything now, or null if it is ready. */
function unready(pool: Pool, node: string): WaitReason | null {
  const slot = pool.byName.get(node);
  if (!slot) return { kind: 'unknown-node', node };
  if (slot.node.status === 'offline') return { kind: 'offline', node };
  if (!slot.node.connected) return { kind: 'disconnected', node };
  if (slot.node.drained) return { kind: 'drained', node };
  return null;
}

/**
 * Finds nodes for tasks without a target. A run of tasks of one shape next to each other in the
 * queue shares one sorted candidate list (RunCandidates), valid while nothing else changes the
 * nodes: any other placement or a reservation ends the run.
 */
class UntargetedSearch {
  private run: { shape: string; candidates: RunCandidates } | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly policy: SchedulePolicy,
  ) {}

  find(task: QueuedTask, shape: string, nextShape: string | undefined, roundRobinAfter: number): NodeSlot | null {
    const placement = this.policy.placement;
    if (this.run?.shape !== shape) {
      this.run = null;
      if (placement === 'round-robin' || nextShape !== shape)
        return searchNodes(this.pool.ready, task, placement, roundRobinAfter);
      this.run = { shape, candidates: new RunCandidates(this.pool.ready, task, placement) };
    }
    return this.run.candidates.first();
  }

  /** Call after every change to the nodes: a placement (`shape` is the placed task's) or a reservation. */
  changed(shape: string | null): void {
    if (this.run !== null && this.run.shape === shape) this.run.candidates.placedOnFirst();
    else this.run = null;
  }
}

/** The node a task goes to now, or why it waits. */
function findNode(
  pool: Pool,
  task: QueuedTask,
  shape: string,
  nextShape: string | undefined,
  search: UntargetedSearch,
  roundRobinAfter: number,
  misses: Misses,
): { slot: NodeSlot } | { reason: WaitReason } {
  if (task.target !== null) {
    const reason = unready(pool, task.target.node);
    if (reason !== null) return { reason };
    const slot = pool.byName.get(task.target.node) as NodeSlot;
    if (!neverFitsSlot(slot, task) && fitsNow(slot, task)) return { slot };
    return { reason: { kind: 'busy', request: task, nodes: [slot], reserved: null } };
  }
  if (pool.ready.length === 0) {
    const drained = pool.slots.filter((slot) => slot.node.drained && slot.node.connected).length;
    return { reason: { kind: 'no-node', drained } };
  }
  const slot = misses.covered(task) ? null : search.find(task, shape, nextShape, roundRobinAfter);
  if (slot !== null) return { slot };
  misses.add(task);
  return { reason: { kind: 'busy', request: task, nodes: pool.ready, reserved: null } };
}

/** What a queued task holds once placed: the next pass's view of it (benchmarks and tests apply passes). */
export function holdingAfter(task: QueuedTask, placement: Placement): Holding {
  return {
    taskId: task.id,
    batchId: task.batchId,
    node: placement.node,
    cores: task.cores,
    memoryBytes: task.memoryBytes,
    numa: placement.numa,
    gpus: placement.gpus,
  };
}

function placeOn(pool: Pool, slot: NodeSlot, task: QueuedTask): Placement {
  const numa = task.target?.numa ?? (task.numaAuto ? (pickZone(slot, task)?.id ?? null) : null);
  const gpus = pickGpus(slot, task);
  take(slot, task.id, task.cores, task.memoryBytes ?? 0, numa, gpus);
  pool.batchHolding.set(task.batchId, (pool.batchHolding.get(task.batchId) ?? 0) + 1);
  return { taskId: task.id, node: slot.name, numa, gpus };
}

/**
 * One scheduling pass, as a pure function: where the queue's tasks go now, given the nodes and
 * what placed tasks hold, and why the others wait. No I/O, no clock (the time is `input.now`).
 *
 * - Tasks are taken in queue order (priority, then id); each goes to its target, or to a node
 *   chosen by `policy.placement`, when it fits there now.
 * - A task that does not fit does not stop the tasks behind it (backfill), unless it has waited
 *   `policy.reserveAfterMs`: then what it needs is reserved on one node (its target, the node
 *   reserved for it last pass, or the one closest to fitting), and later tasks cannot take it.
 * - --max-parallel counts a batch's holding tasks; a batch at its limit waits.
 */
export function schedule(input: ScheduleInput, policy: SchedulePolicy): ScheduleResult {
  const pool = buildPool(input.nodes, input.holdings);
  const placements: Placement[] = [];
  const waiting = new Map<string, WaitReason>();
  const reservations = new Map<number, string>();
  const misses = new Misses();
  let roundRobinAfter = input.roundRobinAfter === null ? -1 : (pool.byName.get(input.roundRobinAfter)?.index ?? -1);

  const search = new UntargetedSearch(pool, policy);
  const queue = input.queueOrdered === true ? input.queue : inQueueOrder(input.queue);
  for (let index = 0; index < queue.length; index += 1) {
    const task = queue[index] as QueuedTask;
    const shape = task.shape ?? shapeKey(task);
    if (waiting.has(shape)) continue;
    if (task.maxParallel !== null && (pool.batchHolding.get(task.batchId) ?? 0) >= task.maxParallel) {
      waiting.set(shape, { kind: 'max-parallel', batchId: task.batchId, limit: task.maxParallel });
      continue;
    }
    const next = queue[index + 1];
    const nextShape = next === undefined ? undefined : (next.shape ?? shapeKey(next));
    const found = findNode(pool, task, shape, nextShape, search, roundRobinAfter, misses);
    if ('slot' in found) {
      placements.push(placeOn(pool, found.slot, task));
      search.changed(shape);
      if (task.target === null) roundRobinAfter = found.slot.index;
      continue;
    }
    const reason = found.reason;
    if (reason.kind === 'busy' && input.now - task.queuedAt >= policy.reserveAfterMs) {
      const slot = reserveFor(pool, task, input.reservations.get(task.id));
      if (slot !== null) {
        search.changed(null);
        reservations.set(task.id, slot.name);
        reason.reserved = { node: slot.name, taskId: task.id };
        // A reserved task is as good as started for its batch's --max-parallel: otherwise the
        // batch's smaller tasks would fill its quota behind it and the reservation be wasted.
        pool.batchHolding.set(task.batchId, (pool.batchHolding.get(task.batchId) ?? 0) + 1);
      }
    }
    waiting.set(shape, reason);
  }
  const last = roundRobinAfter < 0 ? null : (pool.slots[roundRobinAfter]?.name ?? null);
  return { placements, waiting, reservations, roundRobinAfter: last };
}
