import {
  holdingStatuses,
  type Node,
  type NodeResources,
  type NodeStatus,
  type NodeUsage,
  type Task,
} from '@kawa/protocol';
import { NodeCapacity } from '../scheduler/capacity.js';
import type { Holding, SchedulerNode } from '../scheduler/model.js';
import type { StoredNode } from '../store/node-repo.js';

/** A node in memory: what the store holds plus its live allocation and link state. */
export interface NodeState extends SchedulerNode {
  version: string;
  registeredAt: number;
  lastHeartbeatAt: number | null;
  usage: NodeUsage | null;
  capacity: NodeCapacity;
}

function holdingOf(task: Task, node: string): Holding {
  return {
    taskId: task.id,
    batchId: task.batchId,
    node,
    cores: task.cores,
    memoryBytes: task.memoryBytes,
    numa: task.numa,
    gpus: task.gpus,
  };
}

/**
 * Every known node and what placed tasks hold, in memory. The store is the record; this is the
 * working copy the scheduler reads on every pass, so it must never need a query.
 */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeState>();
  private readonly held = new Map<number, Holding>();
  private sorted: NodeState[] | null = null;

  /** Fills the registry from stored nodes and the tasks that hold resources on them. */
  load(stored: readonly StoredNode[], holding: readonly Task[]): void {
    for (const node of stored) {
      this.nodes.set(node.name, { ...node, connected: false, capacity: new NodeCapacity() });
    }
    this.sorted = null;
    for (const task of holding) this.hold(task);
  }

  get(name: string): NodeState | undefined {
    return this.nodes.get(name);
  }

  /** Every node by name. The array is shared until a node is added: do not change it. */
  all(): readonly NodeState[] {
    this.sorted ??= [...this.nodes.values()].sort((a, b) => a.name.localeCompare(b.name));
    return this.sorted;
  }

  /** What every placed task holds, for the scheduler. */
  holdings(): IterableIterator<Holding> {
    return this.held.values();
  }

  register(name: string, version: string, resources: NodeResources, at: number): NodeState {
    const existing = this.nodes.get(name);
    if (!existing) this.sorted = null;
    const state: NodeState = {
      name,
      version,
      resources,
      status: 'online',
      connected: true,
      drained: existing?.drained ?? false,
      registeredAt: existing?.registeredAt ?? at,
      lastHeartbeatAt: at,
      usage: existing?.usage ?? null,
      capacity: existing?.capacity ?? new NodeCapacity(),
    };
    this.nodes.set(name, state);
    // The sorted list holds node objects: a re-registered node replaces its entry.
    if (existing && this.sorted) this.sorted = this.sorted.map((node) => (node === existing ? state : node));
    return state;
  }

  setStatus(name: string, status: NodeStatus): void {
    const node = this.nodes.get(name);
    if (node) node.status = status;
  }

  setConnected(name: string, connected: boolean): void {
    const node = this.nodes.get(name);
    if (node) node.connected = connected;
  }

  setDrained(name: string, drained: boolean): void {
    const node = this.nodes.get(name);
    if (node) node.drained = drained;
  }

  heartbeat(name: string, usage: NodeUsage, at: number): void {
    const node = this.nodes.get(name);
    if (!node) return;
    node.usage = usage;
    node.lastHeartbeatAt = at;
  }

  /** Counts a task's resources against its node. Tasks that are not holding are ignored. */
  hold(task: Task): void {
    if (task.node === null || !holdingStatuses.has(task.status)) return;
    this.held.set(task.id, holdingOf(task, task.node));
    this.nodes.get(task.node)?.capacity.hold(task);
  }

  release(task: Task): void {
    this.held.delete(task.id);
    if (task.node === null) return;
    this.nodes.get(task.node)?.capacity.release(task);
  }
}

/** The protocol's view of a node. */
export function toNode(state: NodeState): Node {
  return {
    name: state.name,
    hostname: state.resources.hostname,
    cores: state.resources.cores,
    memoryBytes: state.resources.memoryBytes,
    numa: state.resources.numa,
    gpus: state.resources.gpus,
    status: state.status,
    version: state.version,
    registeredAt: state.registeredAt,
    lastHeartbeatAt: state.lastHeartbeatAt,
    usage: state.usage,
    drained: state.drained,
    allocated: {
      cores: Math.round(state.capacity.cores * 1000) / 1000,
      memoryBytes: state.capacity.memoryBytes,
      gpus: [...state.capacity.gpuHolders.keys()].sort((a, b) => a - b),
      tasks: state.capacity.tasks,
    },
  };
}
