import { KawaError, RESERVED_MOUNT_TARGETS, taskEnvNames, type NumaZone, type TaskSpec } from '@kawa/protocol';
import { taskDataDir, taskLocalTempDir } from '../process/task-env.js';
import type { ContainerCreateOptions } from './docker-engine.js';

/** `kawa-task-<id>`: one fresh container per task, found by name for inspection and cleanup. */
export const taskContainerName = (taskId: number): string => `kawa-task-${taskId}`;

/** Where Kawa's own mounts appear inside a task container (DESIGN.md, "In every task"). */
export const [CONTAINER_SHARED_DIR, CONTAINER_LOCAL_TEMP_DIR] = RESERVED_MOUNT_TARGETS;

/** Read by the NVIDIA container runtime: which GPUs it mounts into a container. */
const NVIDIA_VISIBLE_DEVICES = 'NVIDIA_VISIBLE_DEVICES';

export const taskLabels = {
  taskId: 'kawa.task-id',
  batchId: 'kawa.batch-id',
  node: 'kawa.node',
  /** `command` or `vps`: what the container is, for whoever lists them. */
  kind: 'kawa.kind',
} as const;

export interface ContainerContext {
  /** The image id to run (not a tag: a concurrent load may move the tag). */
  image: string;
  nodeName: string;
  sharedDir: string;
  localTempDir: string;
  /** The node's NUMA zones, with the cpus each holds. */
  numaZones: readonly NumaZone[];
}

/**
 * The create options of a task's container. Pure: everything the engine is told comes from the
 * spec and the node's layout, so the mapping is tested without an engine. Throws
 * KAWA_ERR_NUMA_UNAVAILABLE for a zone the node does not have.
 */
export function buildContainerOptions(
  spec: TaskSpec,
  context: ContainerContext,
): ContainerCreateOptions & { name: string } {
  const cpuset = spec.numa === null ? {} : numaCpuset(spec.numa, context);
  return {
    name: taskContainerName(spec.id),
    Image: context.image,
    // The argv as given, never through a shell. An image ENTRYPOINT still applies, as with
    // `docker run IMAGE argv…`.
    Cmd: [...spec.command],
    Env: Object.entries(containerEnv(spec)).map(([name, value]) => `${name}=${value}`),
    ...(spec.workdir === null ? {} : { WorkingDir: spec.workdir }),
    Labels: {
      [taskLabels.taskId]: String(spec.id),
      [taskLabels.batchId]: String(spec.batchId),
      [taskLabels.node]: context.nodeName,
      [taskLabels.kind]: spec.kind,
    },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      ...(spec.cores > 0 ? { NanoCpus: Math.round(spec.cores * 1e9) } : {}),
      // Swap as large as memory means no swap: a hog meets the OOM killer (and ends `oom`)
      // instead of crawling on disk.
      ...(spec.memoryBytes === null ? {} : { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes }),
      ...cpuset,
      ...(spec.gpus.length === 0
        ? {}
        : {
            // The device request picks the GPUs; CUDA_VISIBLE_DEVICES is not set inside Docker,
            // where the visible GPUs are renumbered from 0 anyway.
            DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: spec.gpus.map(String), Capabilities: [['gpu']] }],
          }),
      Mounts: [
        { Type: 'bind', Source: taskDataDir(context.sharedDir), Target: CONTAINER_SHARED_DIR, ReadOnly: false },
        {
          Type: 'bind',
          Source: taskLocalTempDir(context.localTempDir, spec.id),
          Target: CONTAINER_LOCAL_TEMP_DIR,
          ReadOnly: false,
        },
        // Bind mounts (not Binds): a missing source is an error, not a silently created dir.
        ...spec.mounts.map((mount) => ({
          Type: 'bind' as const,
          Source: mount.source,
          Target: mount.target,
          ReadOnly: mount.readOnly,
        })),
      ],
      Privileged: spec.privileged,
      // Containers always get their own PID namespace; --private-network also drops the
      // network down to loopback, as it does for no-Docker tasks.
      ...(spec.privateNetwork ? { NetworkMode: 'none' } : {}),
    },
  };
}

/** The user's variables, then Kawa's, which win because they describe where the task really is. */
export function containerEnv(spec: TaskSpec): Record<string, string> {
  const env: Record<string, string> = { ...spec.env };
  env[taskEnvNames.taskId] = String(spec.id);
  env[taskEnvNames.batchId] = String(spec.batchId);
  env[taskEnvNames.sharedDir] = CONTAINER_SHARED_DIR;
  env[taskEnvNames.localTempDir] = CONTAINER_LOCAL_TEMP_DIR;
  if (spec.numa !== null) env[taskEnvNames.numaNode] = String(spec.numa);
  // A task without GPUs gets no device request, but where the daemon's default runtime is
  // nvidia, the image's NVIDIA_VISIBLE_DEVICES (CUDA images say `all`) would still hand it every
  // GPU, those other tasks hold exclusively too. `void` keeps the runtime out. GPU tasks need
  // nothing here: Docker appends the device request's ids, which win.
  if (spec.gpus.length === 0) env[NVIDIA_VISIBLE_DEVICES] = 'void';
  return env;
}

function numaCpuset(numa: number, context: ContainerContext): { CpusetCpus: string; CpusetMems: string } {
  const zone = context.numaZones.find((candidate) => candidate.id === numa);
  if (zone === undefined || zone.cpus.length === 0) {
    const known = context.numaZones.map((candidate) => candidate.id).join(', ') || 'none';
    throw new KawaError(
      'KAWA_ERR_NUMA_UNAVAILABLE',
      `node ${context.nodeName} has NUMA zones ${known}; zone ${numa} does not exist`,
    );
  }
  return { CpusetCpus: zone.cpus.join(','), CpusetMems: String(numa) };
}
