import type { PlacementPolicy } from '@kawa/protocol';
import { fitsNow, neverFitsSlot } from './fit.js';
import type { ResourceRequest } from './model.js';
import type { NodeSlot } from './pool.js';

/** The outcome of looking for a node for a task without a target. */
export interface Search {
  node: NodeSlot | null;
  /** Ready nodes that could not take it, in node order (the first few make its reason). */
  refusedFirst: NodeSlot[];
  refused: number;
}

/** How many refusing nodes a search remembers for the wait reason. */
export const REFUSALS_KEPT = 3;

/**
 * best-fit: the node the task leaves the least free on, GPUs first (so a CPU task keeps off
 * nodes with idle GPUs), then cores, then memory. Lower is better.
 */
function bestFitBetter(candidate: NodeSlot, best: NodeSlot, request: ResourceRequest): boolean {
  const gpus = candidate.gpuFree - best.gpuFree;
  if (gpus !== 0) return gpus < 0;
  const cores = candidate.coresFree - best.coresFree;
  if (Math.abs(cores) > 1e-9) return cores < 0;
  return request.memoryBytes !== null && candidate.memoryFree < best.memoryFree;
}

/** least-loaded: the lowest share of cores held, then the fewest tasks. */
function leastLoadedBetter(candidate: NodeSlot, best: NodeSlot): boolean {
  const load = candidate.heldCores / candidate.cores - best.heldCores / best.cores;
  if (Math.abs(load) > 1e-12) return load < 0;
  return candidate.tasks < best.tasks;
}

/**
 * Finds the node for `request` among `slots` under `policy`. Ties go to the earlier node in
 * `slots` (name order). Round-robin takes the first node that fits after `after`, wrapping.
 */
export function searchNodes(
  slots: readonly NodeSlot[],
  request: ResourceRequest,
  policy: PlacementPolicy,
  after: number,
): Search {
  const search: Search = { node: null, refusedFirst: [], refused: 0 };
  const count = slots.length;
  const start = policy === 'round-robin' ? after + 1 : 0;
  for (let step = 0; step < count; step += 1) {
    const slot = slots[(start + step) % count] as NodeSlot;
    if (!slot.ready) continue;
    if (neverFitsSlot(slot, request) || !fitsNow(slot, request)) {
      search.refused += 1;
      if (search.refusedFirst.length < REFUSALS_KEPT) search.refusedFirst.push(slot);
      continue;
    }
    const best = search.node;
    if (policy === 'round-robin') {
      search.node = slot;
      break;
    }
    if (best === null || (policy === 'best-fit' ? bestFitBetter(slot, best, request) : leastLoadedBetter(slot, best)))
      search.node = slot;
  }
  return search;
}
