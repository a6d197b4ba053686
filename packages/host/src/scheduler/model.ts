import type { NodeResources, NodeStatus, PlacementPolicy, Target } from '@kawa/protocol';
import type { NodeSlot } from './pool.js';

/**
 * The data the pure scheduler (`schedule` in schedule.ts) works on. Nothing here touches the
 * store, the clock or a socket: the Scheduler class fills these from the registry and the
 * queue, and applies what comes back.
 */

/** A node as the scheduler sees it. */
export interface SchedulerNode {
  name: string;
  resources: NodeResources;
  status: NodeStatus;
  /** Online with a live runner link, so a task-start can reach it. */
  connected: boolean;
  /** Takes no new placements; the tasks it holds finish. */
  drained: boolean;
}

/** What one placed task (assigned, syncing, running or paused) holds on its node. */
export interface Holding {
  taskId: number;
  batchId: number;
  node: string;
  cores: number;
  memoryBytes: number | null;
  numa: number | null;
  gpus: readonly number[];
}

/** What a pending task asks of the scheduler. */
export interface ResourceRequest {
  cores: number;
  memoryBytes: number | null;
  /** A named node, maybe with a zone and GPU ids; null lets the scheduler pick the node. */
  target: Target | null;
  /** GPUs to pick on the node (when the target names no GPU ids). */
  gpuCount: number;
  /** The scheduler picks the NUMA zone (the target names none). */
  numaAuto: boolean;
}

/** A pending task in the queue. */
export interface QueuedTask extends ResourceRequest {
  id: number;
  batchId: number;
  priority: number;
  /** When the task started waiting (ms); the backfill bound counts from here. */
  queuedAt: number;
  /** At most this many tasks of the batch hold resources at once; null: no limit. */
  maxParallel: number | null;
  /** shapeKey(task), computed once by the caller; absent: computed in the pass. */
  shape?: string;
}

export interface SchedulePolicy {
  placement: PlacementPolicy;
  /** A task pending this long (ms) gets a reservation: what it needs on one node is held back. */
  reserveAfterMs: number;
}

export interface ScheduleInput {
  /** Every known node, in a stable order (by name); round-robin and ties follow it. */
  nodes: readonly SchedulerNode[];
  /** What placed tasks hold. */
  holdings: Iterable<Holding>;
  /** Pending tasks in queue order (priority desc, then id); sorted here if they are not. */
  queue: readonly QueuedTask[];
  /**
   * The caller keeps `queue` in order (the host's PendingQueue does): the pass skips checking,
   * which is a walk over the whole queue on every pass.
   */
  queueOrdered?: boolean;
  /** The previous pass's reservations (task id → node), so a reservation stays on its node. */
  reservations: ReadonlyMap<number, string>;
  /** The node round-robin placed on last; the next placement starts after it. */
  roundRobinAfter: string | null;
  /** The time of the pass (ms), against which `queuedAt` is measured. */
  now: number;
}

export interface Placement {
  taskId: number;
  node: string;
  numa: number | null;
  gpus: number[];
}

/** Why one node cannot take a task now. */
export type NodeBlocker =
  | { kind: 'never'; node: string; why: string }
  | { kind: 'cores'; node: string; need: number; used: number; total: number }
  | { kind: 'zone-cores'; node: string; zone: number; need: number; used: number; total: number }
  | { kind: 'auto-zone'; node: string; need: number; bestFree: number; bestZone: number | null }
  | { kind: 'memory'; node: string; need: number; used: number; total: number }
  | { kind: 'zone-memory'; node: string; zone: number; need: number; used: number; total: number }
  | { kind: 'gpu-count'; node: string; need: number; held: GpuHolder[] }
  | { kind: 'gpu-ids'; node: string; want: number[]; held: GpuHolder[] }
  /** It would fit but for the resources held back for an earlier task. */
  | { kind: 'reserved'; node: string; forTask: number };

/** A GPU in use: by a placed task, or held back for a reserved one. */
export interface GpuHolder {
  gpu: number;
  taskId: number;
  reserved: boolean;
}

/** Why a pending task waits; made into text only when someone reads it (describeWait). */
export type WaitReason =
  | { kind: 'no-node'; drained: number }
  | { kind: 'unknown-node'; node: string }
  | { kind: 'offline'; node: string }
  | { kind: 'disconnected'; node: string }
  | { kind: 'drained'; node: string }
  | { kind: 'max-parallel'; batchId: number; limit: number }
  | {
      kind: 'busy';
      request: ResourceRequest;
      /**
       * Its target, or every ready node, as the pass left them; blockersOf (describe.ts) works
       * out what keeps it off them only when the reason is read.
       */
      nodes: readonly NodeSlot[];
      /** The node held back for the first waiting task of this shape, if it has a reservation. */
      reserved: { node: string; taskId: number } | null;
    };

export interface ScheduleResult {
  placements: Placement[];
  /** Why the tasks still pending wait, per shape: every pending task of a shape shares one reason. */
  waiting: Map<string, WaitReason>;
  /** Backfill reservations made in this pass (task id → node); feed them to the next pass. */
  reservations: Map<number, string>;
  /** Where round-robin placed last. */
  roundRobinAfter: string | null;
}
