import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { NodeResourcesSchema, parseTarget, type NodeResources } from '@kawa/protocol';
import { describeWait } from '../scheduler/describe.js';
import type {
  Holding,
  QueuedTask,
  ScheduleInput,
  SchedulePolicy,
  ScheduleResult,
  SchedulerNode,
} from '../scheduler/model.js';
import { schedule } from '../scheduler/schedule.js';
import { shapeKey } from '../scheduler/shape.js';

/** Builders for table tests of the pure scheduler: small nodes, holdings and queued tasks. */

const GIB = 2 ** 30;

/** Two NUMA zones of `cores / 2` cpus each (memory per zone when `zoneMemory` is given). */
export function resources(cores = 4, overrides: Partial<NodeResources> & { zoneMemory?: number } = {}): NodeResources {
  const { zoneMemory = null, ...rest } = overrides;
  const half = cores / 2;
  return {
    hostname: 'machine',
    cores,
    memoryBytes: 16 * GIB,
    numa: [0, 1].map((id) => ({
      id,
      cpus: Array.from({ length: half }, (_, cpu) => id * half + cpu),
      memoryBytes: zoneMemory,
    })),
    gpus: [],
    ...rest,
  };
}

export function node(
  name: string,
  nodeResources: NodeResources = resources(),
  state: Partial<SchedulerNode> = {},
): SchedulerNode {
  return { name, resources: nodeResources, status: 'online', connected: true, drained: false, ...state };
}

/** A placed task holding `cores` (and maybe a zone, memory, GPUs) on `nodeName`. */
export function held(taskId: number, nodeName: string, fields: Partial<Holding> = {}): Holding {
  return { taskId, batchId: 1, node: nodeName, cores: 1, memoryBytes: null, numa: null, gpus: [], ...fields };
}

/** A queued task; `target` is a target string as users write it (`node:0::1,2`). */
export function queued(id: number, fields: Partial<Omit<QueuedTask, 'target'>> & { target?: string } = {}): QueuedTask {
  const { target, ...rest } = fields;
  return {
    id,
    batchId: 100 + id,
    priority: 0,
    queuedAt: 0,
    cores: 1,
    memoryBytes: null,
    target: target === undefined ? null : parseTarget(target),
    gpuCount: 0,
    numaAuto: false,
    maxParallel: null,
    ...rest,
  };
}

export const defaultPolicy: SchedulePolicy = { placement: 'best-fit', reserveAfterMs: 60_000 };

export interface Outcome {
  result: ScheduleResult;
  /** task id → node (`node`, `node:zone`, `node::gpus` as placed) for the placed tasks. */
  placed: Record<number, string>;
  /** The text a still-pending task shows. */
  reason(taskId: number): string | null;
}

/** Runs one pass; `now` defaults to 0, so tasks queued at 0 have waited nothing. */
export function pass(
  nodes: SchedulerNode[],
  holdings: Holding[],
  queue: QueuedTask[],
  options: Partial<SchedulePolicy> & Partial<Pick<ScheduleInput, 'now' | 'reservations' | 'roundRobinAfter'>> = {},
): Outcome {
  const { now = 0, reservations = new Map(), roundRobinAfter = null, ...policy } = options;
  const result = schedule(
    { nodes, holdings, queue, reservations, roundRobinAfter, now },
    { ...defaultPolicy, ...policy },
  );
  const placed: Record<number, string> = {};
  for (const placement of result.placements) {
    const zone = placement.numa === null ? '' : `:${placement.numa}`;
    const gpus = placement.gpus.length === 0 ? '' : `::${placement.gpus.join(',')}`;
    placed[placement.taskId] = `${placement.node}${zone}${gpus}`;
  }
  const byId = new Map(queue.map((task) => [task.id, task]));
  return {
    result,
    placed,
    reason: (taskId) => {
      const task = byId.get(taskId);
      const wait = task && result.waiting.get(shapeKey(task));
      return wait && !(taskId in placed) ? describeWait(wait) : null;
    },
  };
}

const GpuFixtureSchema = z.object({ nvidiaSmi: z.array(z.string()), resources: NodeResourcesSchema });

/**
 * The 8-GPU node with two GPU models (scheduler/fixtures): its resources, and the recorded
 * nvidia-smi lines they were derived from.
 */
export function gpuNodeFixture(): z.output<typeof GpuFixtureSchema> {
  const text = readFileSync(new URL('../scheduler/fixtures/gpu-node-2-models-8-gpus.json', import.meta.url), 'utf8');
  return GpuFixtureSchema.parse(JSON.parse(text));
}
