import { CORE_EPSILON, reserve, type NodeSlot, type Pool } from './pool.js';
import { neverFitsSlot } from './fit.js';
import type { QueuedTask, ResourceRequest } from './model.js';

/** Can `slot` hold a reservation for `request`: ready, big enough when idle, not reserved yet. */
function canReserve(slot: NodeSlot | undefined, request: ResourceRequest): slot is NodeSlot {
  return slot !== undefined && slot.ready && slot.reservation === null && !neverFitsSlot(slot, request);
}

/** How far a node is from fitting the request: missing GPUs, then cores, then memory. */
function shortfall(slot: NodeSlot, request: ResourceRequest): [number, number, number] {
  return [
    Math.max(0, request.gpuCount - slot.gpuFree),
    Math.max(0, request.cores - slot.coresFree),
    Math.max(0, (request.memoryBytes ?? 0) - slot.memoryFree),
  ];
}

function closer(a: [number, number, number], b: [number, number, number]): boolean {
  for (let index = 0; index < 3; index += 1) {
    const difference = (a[index] as number) - (b[index] as number);
    if (Math.abs(difference) > CORE_EPSILON) return difference < 0;
  }
  return false;
}

/** The zone a reservation holds: the named one, or (numa auto) the big-enough zone with most free. */
function reservationZone(slot: NodeSlot, request: ResourceRequest): number | null {
  const named = request.target?.numa ?? null;
  if (named !== null || !request.numaAuto) return named;
  let best: { id: number; free: number } | null = null;
  for (const zone of slot.zones) {
    if (zone.cpus + CORE_EPSILON < request.cores) continue;
    if (best === null || zone.coresFree > best.free) best = { id: zone.id, free: zone.coresFree };
  }
  return best?.id ?? null;
}

/**
 * Reserves for `task`, which waited past the backfill bound and does not fit: on its target,
 * or on the node it reserved last pass, or else on the ready node closest to fitting it. One
 * reservation per node, first come in queue order. Returns the node, or null if none could be
 * reserved (every candidate already holds one for an earlier task).
 */
export function reserveFor(pool: Pool, task: QueuedTask, previous: string | undefined): NodeSlot | null {
  let chosen: NodeSlot | null = null;
  if (task.target !== null) {
    const slot = pool.byName.get(task.target.node);
    if (canReserve(slot, task)) chosen = slot;
  } else {
    const sticky = previous === undefined ? undefined : pool.byName.get(previous);
    if (canReserve(sticky, task)) chosen = sticky;
    else if (pool.reservable > 0) {
      let best: [number, number, number] | null = null;
      for (const slot of pool.ready) {
        if (!canReserve(slot, task)) continue;
        const gap = shortfall(slot, task);
        if (best === null || closer(gap, best)) {
          best = gap;
          chosen = slot;
        }
      }
    }
  }
  if (chosen === null) return null;
  reserve(chosen, task.id, task, reservationZone(chosen, task));
  pool.reservable -= 1;
  return chosen;
}
