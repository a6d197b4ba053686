import type { PlacementPolicy } from '@kawa/protocol';
import { pickZone } from './fit.js';
import type { ResourceRequest } from './model.js';
import { CORE_EPSILON, type NodeSlot } from './pool.js';

/**
 * best-fit: the node the task leaves the least free on, GPUs first (so a CPU task keeps off
 * nodes with idle GPUs), then cores, then memory. Lower is better.
 */
function bestFitBetter(candidate: NodeSlot, best: NodeSlot, request: ResourceRequest): boolean {
  const gpus = candidate.gpuFree - best.gpuFree;
  if (gpus !== 0) return gpus < 0;
  const cores = candidate.coresFree - best.coresFree;
  if (Math.abs(cores) > CORE_EPSILON) return cores < 0;
  return request.memoryBytes !== null && candidate.memoryFree < best.memoryFree;
}

/** least-loaded: the lowest share of cores held, then the fewest tasks. */
function leastLoadedBetter(candidate: NodeSlot, best: NodeSlot): boolean {
  const load = candidate.heldCores / candidate.cores - best.heldCores / best.cores;
  if (Math.abs(load) > 1e-12) return load < 0;
  return candidate.tasks < best.tasks;
}

/** Where round-robin starts in `ready`: the first node after the one it placed on last. */
function roundRobinStart(ready: readonly NodeSlot[], after: number): number {
  let low = 0;
  let high = ready.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ready[middle] as NodeSlot).index <= after) low = middle + 1;
    else high = middle;
  }
  return low === ready.length ? 0 : low;
}

/**
 * The node for a task without a target among the `ready` nodes, or null when none fits now.
 * This is the pass's hot loop (it runs once per placement), so the checks are inlined: with no
 * target there are no zone or GPU ids to look at, only amounts. Ties go to the earlier node
 * (name order); round-robin takes the first node that fits after `after` (a slot index).
 */
export function searchNodes(
  ready: readonly NodeSlot[],
  request: ResourceRequest,
  policy: PlacementPolicy,
  after: number,
): NodeSlot | null {
  const cores = request.cores;
  const memoryBytes = request.memoryBytes;
  const gpuCount = request.gpuCount;
  const count = ready.length;
  const start = policy === 'round-robin' ? roundRobinStart(ready, after) : 0;
  let best: NodeSlot | null = null;
  for (let step = 0; step < count; step += 1) {
    let index = start + step;
    if (index >= count) index -= count;
    const slot = ready[index] as NodeSlot;
    if (cores > 0 && cores > slot.coresFree + CORE_EPSILON) continue;
    if ((memoryBytes !== null && memoryBytes > slot.memoryFree) || gpuCount > slot.gpuFree) continue;
    if (request.numaAuto && pickZone(slot, request) === null) continue;
    if (policy === 'round-robin') return slot;
    if (best === null || (policy === 'best-fit' ? bestFitBetter(slot, best, request) : leastLoadedBetter(slot, best)))
      best = slot;
  }
  return best;
}

/** Whether `slot` can take `request` now; the same checks as the search loop. */
function fitsUntargeted(slot: NodeSlot, request: ResourceRequest): boolean {
  if (request.cores > 0 && request.cores > slot.coresFree + CORE_EPSILON) return false;
  if ((request.memoryBytes !== null && request.memoryBytes > slot.memoryFree) || request.gpuCount > slot.gpuFree)
    return false;
  return !request.numaAuto || pickZone(slot, request) !== null;
}

/**
 * The nodes for a run of tasks of one shape with no target, next to each other in the queue (a
 * sweep, a batch): sorted by the policy once, then kept sorted as each placement changes one
 * node. Between two tasks of a run only that node changes, so a run of N tasks costs one scan
 * and a sort instead of N scans. Not for round-robin, whose scan stops at the first fit.
 */
export class RunCandidates {
  private readonly order: (a: NodeSlot, b: NodeSlot) => number;
  private readonly slots: NodeSlot[];

  constructor(
    ready: readonly NodeSlot[],
    private readonly request: ResourceRequest,
    policy: Exclude<PlacementPolicy, 'round-robin'>,
  ) {
    const better =
      policy === 'best-fit'
        ? (a: NodeSlot, b: NodeSlot) => bestFitBetter(a, b, request)
        : (a: NodeSlot, b: NodeSlot) => leastLoadedBetter(a, b);
    this.order = (a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : a.index - b.index);
    this.slots = ready.filter((slot) => fitsUntargeted(slot, request)).sort(this.order);
  }

  /** The node the next task of the run goes to, or null when none fits. */
  first(): NodeSlot | null {
    return this.slots[0] ?? null;
  }

  /** After a placement on the first node: drop it if it is full for the run, else re-sort it in. */
  placedOnFirst(): void {
    const slot = this.slots.shift();
    if (slot === undefined || !fitsUntargeted(slot, this.request)) return;
    let low = 0;
    let high = this.slots.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.order(this.slots[middle] as NodeSlot, slot) < 0) low = middle + 1;
      else high = middle;
    }
    this.slots.splice(low, 0, slot);
  }
}
