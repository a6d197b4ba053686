import type { TaskSpec } from '@kawa/protocol';

/**
 * Where a Docker task is on this node: `syncing` while its image is made present, `starting`
 * while its container is created and started, `ending` from its exit until its final event is out.
 */
export type DockerTaskStatus = 'syncing' | 'starting' | 'running' | 'paused' | 'ending';

/** A task the Docker executor is syncing, starting, running or ending. */
export interface DockerTask {
  spec: TaskSpec;
  status: DockerTaskStatus;
  /** Set once the container exists. */
  containerId: string | null;
  killRequested: boolean;
  /** Aborted by a kill during sync: the task stops waiting for its image; a shared load goes on. */
  abort: AbortController;
  startedAt: number | null;
  /** Settles when start-up is over, whether the container started or not. */
  started: Promise<void>;
  /** Settles once the final event is emitted. */
  finished: Promise<void>;
  markFinished: () => void;
  /** Control actions on one task run one after another. */
  controls: Promise<unknown>;
}

export function newDockerTask(spec: TaskSpec): DockerTask {
  let markFinished = (): void => {};
  const finished = new Promise<void>((resolve) => (markFinished = resolve));
  return {
    spec,
    status: 'syncing',
    containerId: null,
    killRequested: false,
    abort: new AbortController(),
    startedAt: null,
    started: Promise.resolve(),
    finished,
    markFinished,
    controls: Promise.resolve(),
  };
}

/** Runs a control after the task's earlier ones (as the host sent them) and resolves with its answer. */
export function queueControl<T>(task: DockerTask, run: () => Promise<T>): Promise<T> {
  const result = task.controls.then(run, run);
  task.controls = result;
  return result;
}

/**
 * The task as hello lists it, or null while it ends. A task still starting is reported
 * syncing: it holds its resources and is on its way.
 */
export function liveSummary(task: DockerTask): { taskId: number; status: 'syncing' | 'running' | 'paused' } | null {
  if (task.status === 'syncing' || task.status === 'starting') return { taskId: task.spec.id, status: 'syncing' };
  if (task.status === 'running' || task.status === 'paused') return { taskId: task.spec.id, status: task.status };
  return null;
}

/** Where a live task's terminal or SSH stream goes: its container, once it has one. */
export interface ContainerLookup {
  kind: TaskSpec['kind'];
  status: DockerTaskStatus;
  containerId: string | null;
}

export function containerLookup(task: DockerTask): ContainerLookup {
  return { kind: task.spec.kind, status: task.status, containerId: task.containerId };
}
