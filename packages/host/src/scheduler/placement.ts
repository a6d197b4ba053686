import type { NodeResources, NodeStatus, Target } from '@kawa/protocol';
import { CORE_EPSILON, type NodeCapacity } from './capacity.js';
import { coresPhrase, formatCores, listPhrase, memoryPhrase } from './describe.js';

/** What a task asks of the scheduler. */
export interface PlacementRequest {
  cores: number;
  memoryBytes: number | null;
  target: Target | null;
}

/** A node as the scheduler sees it. */
export interface Candidate {
  name: string;
  status: NodeStatus;
  /** Online with a live runner link, so a task-start can reach it. */
  connected: boolean;
  resources: NodeResources;
  capacity: NodeCapacity;
}

export type Placement = { ok: true; node: string; numa: number | null; gpus: number[] } | { ok: false; reason: string };

/**
 * Why `request` can never fit on a node with these resources, or null if it could fit on an
 * idle node. A named target that fails this at submit is a 422.
 */
export function neverFits(request: PlacementRequest, name: string, resources: NodeResources): string | null {
  const numa = request.target?.numa ?? null;
  const gpus = request.target?.gpus ?? [];
  if (request.cores > resources.cores + CORE_EPSILON) {
    return `node ${name} has ${coresPhrase(resources.cores)}; the task asks for ${formatCores(request.cores)}`;
  }
  if (request.memoryBytes !== null && request.memoryBytes > resources.memoryBytes) {
    return `node ${name} has ${memoryPhrase(resources.memoryBytes)} of memory; the task asks for ${memoryPhrase(request.memoryBytes)}`;
  }
  if (numa !== null) {
    const zone = resources.numa.find((candidate) => candidate.id === numa);
    if (!zone) {
      return `node ${name} has no NUMA zone ${numa} (zones: ${listPhrase(resources.numa.map((candidate) => candidate.id))})`;
    }
    if (request.cores > zone.cpus.length + CORE_EPSILON) {
      return `NUMA zone ${numa} of node ${name} has ${coresPhrase(zone.cpus.length)}; the task asks for ${formatCores(request.cores)}`;
    }
  }
  const known = new Set(resources.gpus.map((gpu) => gpu.index));
  const missing = gpus.filter((gpu) => !known.has(gpu));
  if (missing.length > 0) {
    return `node ${name} has no GPU ${listPhrase(missing)} (GPUs: ${listPhrase([...known].sort((a, b) => a - b))})`;
  }
  return null;
}

/** Why `request` does not fit on the node right now (given what its tasks hold), or null. */
export function busyReason(request: PlacementRequest, node: Candidate): string | null {
  const { capacity, resources, name } = node;
  if (request.cores > 0 && capacity.cores + request.cores > resources.cores + CORE_EPSILON) {
    return `waiting for ${coresPhrase(request.cores)} on ${name} (${formatCores(capacity.cores)} of ${resources.cores} in use)`;
  }
  if (request.memoryBytes !== null && capacity.memoryBytes + request.memoryBytes > resources.memoryBytes) {
    return `waiting for ${memoryPhrase(request.memoryBytes)} of memory on ${name} (${memoryPhrase(capacity.memoryBytes)} of ${memoryPhrase(resources.memoryBytes)} in use)`;
  }
  const numa = request.target?.numa ?? null;
  if (numa !== null && request.cores > 0) {
    const zoneCpus = resources.numa.find((zone) => zone.id === numa)?.cpus.length ?? 0;
    const used = capacity.coresInZone(numa);
    if (used + request.cores > zoneCpus + CORE_EPSILON) {
      return `waiting for ${coresPhrase(request.cores)} in NUMA zone ${numa} of ${name} (${formatCores(used)} of ${zoneCpus} in use)`;
    }
  }
  const held = (request.target?.gpus ?? []).filter((gpu) => capacity.gpuHolders.has(gpu));
  if (held.length > 0) {
    const holders = held.map((gpu) => `GPU ${gpu} by task ${capacity.gpuHolders.get(gpu)}`);
    return `waiting for ${held.length === 1 ? 'GPU' : 'GPUs'} ${listPhrase(held)} on ${name} (held: ${holders.join(', ')})`;
  }
  return null;
}

function placeOn(request: PlacementRequest, node: Candidate): Placement {
  const reason = neverFits(request, node.name, node.resources) ?? busyReason(request, node);
  if (reason !== null) return { ok: false, reason };
  return { ok: true, node: node.name, numa: request.target?.numa ?? null, gpus: [...(request.target?.gpus ?? [])] };
}

function unreachableReason(node: Candidate): string | null {
  if (node.status === 'offline') return `waiting for node ${node.name} to come back online`;
  if (!node.connected) return `waiting for node ${node.name} to reconnect`;
  return null;
}

/** Fraction of a node's cores that placed tasks hold; the scheduler prefers the lowest. */
function load(node: Candidate): number {
  return node.capacity.cores / node.resources.cores;
}

/**
 * Where `request` goes now, or why it waits. A named target goes to that node or waits for
 * it; no target picks the least-loaded connected node that fits.
 */
export function place(
  request: PlacementRequest,
  lookup: (name: string) => Candidate | undefined,
  candidates: Iterable<Candidate>,
): Placement {
  if (request.target !== null) {
    const node = lookup(request.target.node);
    if (!node) return { ok: false, reason: `waiting for node ${request.target.node} to register` };
    const unreachable = unreachableReason(node);
    if (unreachable !== null) return { ok: false, reason: unreachable };
    return placeOn(request, node);
  }
  let best: Candidate | null = null;
  const reasons: string[] = [];
  for (const node of candidates) {
    if (node.status !== 'online' || !node.connected) continue;
    const reason = neverFits(request, node.name, node.resources) ?? busyReason(request, node);
    if (reason !== null) {
      reasons.push(reason);
      continue;
    }
    if (
      best === null ||
      load(node) < load(best) ||
      (load(node) === load(best) && node.capacity.tasks < best.capacity.tasks)
    ) {
      best = node;
    }
  }
  if (best !== null) return placeOn(request, best);
  if (reasons.length === 0) return { ok: false, reason: 'no node is online' };
  const shown = reasons.slice(0, 3).join('; ');
  return { ok: false, reason: reasons.length > 3 ? `${shown}; and ${reasons.length - 3} more nodes are full` : shown };
}
