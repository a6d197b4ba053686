import type { NodeResources } from '@kawa/protocol';
import { coresPhrase, formatCores, listPhrase, memoryPhrase } from './phrases.js';
import type { GpuHolder, NodeBlocker, ResourceRequest } from './model.js';
import { CORE_EPSILON, withoutReservation, zoneOf, type NodeSlot, type ZoneSlot } from './pool.js';

/**
 * Why `request` can never fit on a node with these resources, or null if it fits on the node
 * when idle. A named target that fails this at submit is a 422; in a pass it is the reason.
 */
export function neverFits(request: ResourceRequest, name: string, resources: NodeResources): string | null {
  const numa = request.target?.numa ?? null;
  const gpus = request.target?.gpus ?? [];
  if (request.cores > resources.cores + CORE_EPSILON)
    return `node ${name} has ${coresPhrase(resources.cores)}; the task asks for ${formatCores(request.cores)}`;
  if (request.memoryBytes !== null && request.memoryBytes > resources.memoryBytes)
    return `node ${name} has ${memoryPhrase(resources.memoryBytes)} of memory; the task asks for ${memoryPhrase(request.memoryBytes)}`;
  if (numa !== null) {
    const zone = resources.numa.find((candidate) => candidate.id === numa);
    if (!zone)
      return `node ${name} has no NUMA zone ${numa} (zones: ${listPhrase(resources.numa.map((candidate) => candidate.id))})`;
    if (request.cores > zone.cpus.length + CORE_EPSILON)
      return `NUMA zone ${numa} of node ${name} has ${coresPhrase(zone.cpus.length)}; the task asks for ${formatCores(request.cores)}`;
    if (request.memoryBytes !== null && zone.memoryBytes !== null && request.memoryBytes > zone.memoryBytes)
      return `NUMA zone ${numa} of node ${name} has ${memoryPhrase(zone.memoryBytes)} of memory; the task asks for ${memoryPhrase(request.memoryBytes)}`;
  }
  if (request.numaAuto) {
    if (resources.numa.length === 0) return `node ${name} reports no NUMA zones, so none can be picked`;
    const largest = Math.max(...resources.numa.map((zone) => zone.cpus.length));
    if (request.cores > largest + CORE_EPSILON)
      return `no NUMA zone of node ${name} has ${coresPhrase(request.cores)} (the largest has ${largest})`;
  }
  const known = new Set(resources.gpus.map((gpu) => gpu.index));
  const missing = gpus.filter((gpu) => !known.has(gpu));
  if (missing.length > 0)
    return `node ${name} has no GPU ${listPhrase(missing)} (GPUs: ${listPhrase([...known].sort((a, b) => a - b))})`;
  if (request.gpuCount > known.size)
    return `node ${name} has ${known.size} ${known.size === 1 ? 'GPU' : 'GPUs'}; the task asks for ${request.gpuCount}`;
  return null;
}

/** The cheap form of neverFits for the pass's hot loop: no text, no allocation. */
export function neverFitsSlot(slot: NodeSlot, request: ResourceRequest): boolean {
  const { cores, memoryBytes } = request;
  if (cores > slot.cores + CORE_EPSILON) return true;
  if (memoryBytes !== null && memoryBytes > slot.memoryTotal) return true;
  if (request.gpuCount > slot.gpuIds.length) return true;
  if (request.numaAuto && (slot.zones.length === 0 || cores > slot.largestZone + CORE_EPSILON)) return true;
  const target = request.target;
  if (target === null) return false;
  if (target.numa !== null) {
    const zone = zoneOf(slot, target.numa);
    if (zone === undefined || cores > zone.cpus + CORE_EPSILON) return true;
    if (memoryBytes !== null && zone.memoryTotal !== null && memoryBytes > zone.memoryTotal) return true;
  }
  for (const gpu of target.gpus) if (!slot.gpuIds.includes(gpu)) return true;
  return false;
}

function zoneFits(zone: ZoneSlot, cores: number, memoryBytes: number | null): boolean {
  if (cores > 0 && cores > zone.coresFree + CORE_EPSILON) return false;
  return memoryBytes === null || zone.memoryTotal === null || memoryBytes <= zone.memoryFree;
}

/** The zone a numa-auto task gets: the one it fits best (fewest cores left), lowest id on a tie. */
export function pickZone(slot: NodeSlot, request: ResourceRequest): ZoneSlot | null {
  let best: ZoneSlot | null = null;
  for (const zone of slot.zones) {
    if (!zoneFits(zone, request.cores, request.memoryBytes)) continue;
    if (best === null || zone.coresFree < best.coresFree - CORE_EPSILON) best = zone;
  }
  return best;
}

/**
 * The GPUs a task gets: the ones its target names, or the lowest-numbered free ones. Zones do
 * not report which GPUs hang off them, so the lowest indices are as good a pick as any and keep
 * placements predictable.
 */
export function pickGpus(slot: NodeSlot, request: ResourceRequest): number[] {
  const named = request.target?.gpus ?? [];
  if (named.length > 0) return [...named];
  const picked: number[] = [];
  for (const gpu of slot.gpuIds) {
    if (picked.length >= request.gpuCount) break;
    if (!slot.gpuHolders.has(gpu)) picked.push(gpu);
  }
  return picked;
}

/** Whether `request` fits on the node now (resources only: readiness is the caller's). */
export function fitsNow(slot: NodeSlot, request: ResourceRequest): boolean {
  const { cores, memoryBytes } = request;
  if (cores > 0 && cores > slot.coresFree + CORE_EPSILON) return false;
  if (memoryBytes !== null && memoryBytes > slot.memoryFree) return false;
  if (request.gpuCount > slot.gpuFree) return false;
  const named = request.target?.gpus;
  if (named !== undefined) for (const gpu of named) if (slot.gpuHolders.has(gpu)) return false;
  const numa = request.target?.numa ?? null;
  if (numa !== null) {
    const zone = zoneOf(slot, numa);
    return zone !== undefined && zoneFits(zone, cores, memoryBytes);
  }
  return !request.numaAuto || pickZone(slot, request) !== null;
}

function gpuHoldersOf(slot: NodeSlot, gpus: Iterable<number>): GpuHolder[] {
  const held: GpuHolder[] = [];
  for (const gpu of gpus) {
    const holder = slot.gpuHolders.get(gpu);
    if (holder) held.push(holder);
  }
  return held;
}

/**
 * What on this node keeps `request` out (the first thing that does), for its wait reason.
 * `own` is the task the node may be reserved for itself: its own reservation is no blocker.
 */
export function blockerOn(slot: NodeSlot, request: ResourceRequest, own: number | null = null): NodeBlocker {
  const never = neverFits(request, slot.name, slot.node.resources);
  if (never !== null) return { kind: 'never', node: slot.name, why: never };
  const reservation = slot.reservation;
  if (reservation !== null && reservation.taskId !== own && withoutReservation(slot, () => fitsNow(slot, request)))
    return { kind: 'reserved', node: slot.name, forTask: reservation.taskId };
  // The numbers below are what placed tasks hold, so they make sense to a person reading them.
  return withoutReservation(slot, () => resourceBlocker(slot, request));
}

function resourceBlocker(slot: NodeSlot, request: ResourceRequest): NodeBlocker {
  const { cores, memoryBytes } = request;
  const name = slot.name;
  if (cores > 0 && cores > slot.coresFree + CORE_EPSILON)
    return { kind: 'cores', node: name, need: cores, used: slot.cores - slot.coresFree, total: slot.cores };
  if (memoryBytes !== null && memoryBytes > slot.memoryFree)
    return {
      kind: 'memory',
      node: name,
      need: memoryBytes,
      used: slot.memoryTotal - slot.memoryFree,
      total: slot.memoryTotal,
    };
  const numa = request.target?.numa ?? null;
  const zone = numa === null ? undefined : zoneOf(slot, numa);
  if (zone !== undefined && cores > 0 && cores > zone.coresFree + CORE_EPSILON)
    return {
      kind: 'zone-cores',
      node: name,
      zone: zone.id,
      need: cores,
      used: zone.cpus - zone.coresFree,
      total: zone.cpus,
    };
  if (zone?.memoryTotal != null && memoryBytes !== null && memoryBytes > zone.memoryFree)
    return {
      kind: 'zone-memory',
      node: name,
      zone: zone.id,
      need: memoryBytes,
      used: zone.memoryTotal - zone.memoryFree,
      total: zone.memoryTotal,
    };
  const named = request.target?.gpus ?? [];
  if (named.some((gpu) => slot.gpuHolders.has(gpu)))
    return { kind: 'gpu-ids', node: name, want: [...named], held: gpuHoldersOf(slot, named) };
  if (request.gpuCount > slot.gpuFree)
    return { kind: 'gpu-count', node: name, need: request.gpuCount, held: gpuHoldersOf(slot, slot.gpuIds) };
  let bestZone: ZoneSlot | null = null;
  for (const candidate of slot.zones)
    if (bestZone === null || candidate.coresFree > bestZone.coresFree) bestZone = candidate;
  return {
    kind: 'auto-zone',
    node: name,
    need: cores,
    bestFree: Math.max(0, bestZone?.coresFree ?? 0),
    bestZone: bestZone?.id ?? null,
  };
}
