import type { GpuHolder, Holding, ResourceRequest, SchedulerNode } from './model.js';

/**
 * Floating-point slack for fractional cores: 0.1 + 0.2 must fit in 0.3.
 */
export const CORE_EPSILON = 1e-9;

/** One NUMA zone's working state in a pass. */
export interface ZoneSlot {
  id: number;
  cpus: number;
  coresFree: number;
  /** Null when the runner does not report the zone's memory: then only the node total counts. */
  memoryTotal: number | null;
  memoryFree: number;
}

/** What is held back on a node for a task that waited past the backfill bound. */
export interface Reservation {
  taskId: number;
  cores: number;
  memoryBytes: number;
  zone: number | null;
  /** The free GPUs held back for it (the ones it still lacks are held by running tasks). */
  gpus: number[];
}

/**
 * A node's working state during one pass: what is free after the holdings, the placements made
 * so far in the pass, and at most one reservation. Free amounts may go negative under a
 * reservation, which is exactly what keeps later tasks off those resources.
 */
export interface NodeSlot {
  index: number;
  name: string;
  node: SchedulerNode;
  /** Online, connected and not drained: may take placements. */
  ready: boolean;
  cores: number;
  coresFree: number;
  memoryTotal: number;
  memoryFree: number;
  heldCores: number;
  tasks: number;
  zones: ZoneSlot[];
  /** The most cpus any one zone has: a numa-auto task asking more never fits. */
  largestZone: number;
  /** Known GPU indices, ascending. */
  gpuIds: number[];
  /** GPU index → who holds it (a placed task, or a reservation). */
  gpuHolders: Map<number, GpuHolder>;
  gpuFree: number;
  reservation: Reservation | null;
}

export interface Pool {
  slots: NodeSlot[];
  /** The slots that may take placements, in node order. */
  ready: NodeSlot[];
  /** Ready slots without a reservation yet; none left makes reserving for untargeted tasks free. */
  reservable: number;
  byName: Map<string, NodeSlot>;
  /** Batch id → how many of its tasks hold resources (for --max-parallel). */
  batchHolding: Map<number, number>;
}

function toSlot(node: SchedulerNode, index: number): NodeSlot {
  const zones = node.resources.numa.map((zone) => ({
    id: zone.id,
    cpus: zone.cpus.length,
    coresFree: zone.cpus.length,
    memoryTotal: zone.memoryBytes,
    memoryFree: zone.memoryBytes ?? 0,
  }));
  const gpuIds = node.resources.gpus.map((gpu) => gpu.index).sort((a, b) => a - b);
  return {
    index,
    name: node.name,
    node,
    ready: node.status === 'online' && node.connected && !node.drained,
    cores: node.resources.cores,
    coresFree: node.resources.cores,
    memoryTotal: node.resources.memoryBytes,
    memoryFree: node.resources.memoryBytes,
    heldCores: 0,
    tasks: 0,
    zones,
    largestZone: zones.reduce((largest, zone) => Math.max(largest, zone.cpus), 0),
    gpuIds,
    gpuHolders: new Map(),
    gpuFree: gpuIds.length,
    reservation: null,
  };
}

export function zoneOf(slot: NodeSlot, id: number): ZoneSlot | undefined {
  // Nodes have a handful of zones: a scan beats a map.
  for (const zone of slot.zones) if (zone.id === id) return zone;
  return undefined;
}

/** Subtracts a task's cores and memory from its node and zone; GPUs are handled by the caller. */
function subtract(slot: NodeSlot, cores: number, memoryBytes: number, zoneId: number | null): void {
  slot.coresFree -= cores;
  slot.memoryFree -= memoryBytes;
  if (zoneId === null) return;
  const zone = zoneOf(slot, zoneId);
  if (!zone) return;
  zone.coresFree -= cores;
  if (zone.memoryTotal !== null) zone.memoryFree -= memoryBytes;
}

function holdGpu(slot: NodeSlot, holder: GpuHolder): void {
  if (slot.gpuHolders.has(holder.gpu)) return;
  slot.gpuHolders.set(holder.gpu, holder);
  if (slot.gpuIds.includes(holder.gpu)) slot.gpuFree -= 1;
}

/** Builds the pass's working state from the nodes and what placed tasks hold on them. */
export function buildPool(nodes: readonly SchedulerNode[], holdings: Iterable<Holding>): Pool {
  const slots = nodes.map(toSlot);
  const byName = new Map(slots.map((slot) => [slot.name, slot]));
  const batchHolding = new Map<number, number>();
  for (const holding of holdings) {
    batchHolding.set(holding.batchId, (batchHolding.get(holding.batchId) ?? 0) + 1);
    const slot = byName.get(holding.node);
    if (!slot) continue;
    take(slot, holding.taskId, holding.cores, holding.memoryBytes ?? 0, holding.numa, holding.gpus);
  }
  const ready = slots.filter((slot) => slot.ready);
  return { slots, ready, reservable: ready.length, byName, batchHolding };
}

/** Counts a placed task against its node. */
export function take(
  slot: NodeSlot,
  taskId: number,
  cores: number,
  memoryBytes: number,
  zoneId: number | null,
  gpus: readonly number[],
): void {
  subtract(slot, cores, memoryBytes, zoneId);
  slot.heldCores += cores;
  slot.tasks += 1;
  for (const gpu of gpus) holdGpu(slot, { gpu, taskId, reserved: false });
}

/**
 * Holds back what `request` needs on `slot` for task `taskId`: its cores and memory (in its
 * zone, if it has one) and the free GPUs it would take. Tasks later in the queue see less.
 */
export function reserve(slot: NodeSlot, taskId: number, request: ResourceRequest, zoneId: number | null): void {
  const memoryBytes = request.memoryBytes ?? 0;
  subtract(slot, request.cores, memoryBytes, zoneId);
  const gpus: number[] = [];
  const wanted = request.target?.gpus.length ? request.target.gpus : null;
  for (const gpu of wanted ?? slot.gpuIds) {
    if (wanted === null && gpus.length >= request.gpuCount) break;
    if (slot.gpuHolders.has(gpu)) continue;
    gpus.push(gpu);
    holdGpu(slot, { gpu, taskId, reserved: true });
  }
  slot.reservation = { taskId, cores: request.cores, memoryBytes, zone: zoneId, gpus };
}

/** Gives a reservation's resources back for a moment (to ask whether it is what blocks a task). */
export function withoutReservation<T>(slot: NodeSlot, body: () => T): T {
  const reservation = slot.reservation;
  if (reservation === null) return body();
  subtract(slot, -reservation.cores, -reservation.memoryBytes, reservation.zone);
  for (const gpu of reservation.gpus) {
    slot.gpuHolders.delete(gpu);
    slot.gpuFree += 1;
  }
  slot.reservation = null;
  try {
    return body();
  } finally {
    subtract(slot, reservation.cores, reservation.memoryBytes, reservation.zone);
    for (const gpu of reservation.gpus) holdGpu(slot, { gpu, taskId: reservation.taskId, reserved: true });
    slot.reservation = reservation;
  }
}
