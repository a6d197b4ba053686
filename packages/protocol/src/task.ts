import { z } from 'zod';
import { envNameProblem, ImageRefSchema } from './envs.js';
import { codedIssue } from './errors.js';
import { CoresSchema, MemoryInputSchema } from './units.js';
import { TargetInputSchema, TargetSchema } from './targets.js';

/** Task states, in the order of DESIGN.md's state machine. */
export const taskStatuses = [
  'pending',
  'assigned',
  'syncing',
  'running',
  'paused',
  'completed',
  'failed',
  'oom',
  'killed',
  'lost',
  'stopped',
] as const;
export const TaskStatusSchema = z.enum(taskStatuses);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

export const finalStatuses: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'oom', 'killed', 'lost']);
/** Ended but not final: a stopped VPS holds nothing and may be restarted. */
export const restartableStatuses: ReadonlySet<TaskStatus> = new Set(['stopped']);
/** States in which a task holds its node's resources. */
export const holdingStatuses: ReadonlySet<TaskStatus> = new Set(['assigned', 'syncing', 'running', 'paused']);

export function isFinalStatus(status: TaskStatus): boolean {
  return finalStatuses.has(status);
}

/**
 * Allowed transitions. A final state never changes, except `lost → running` when a runner
 * comes back with the task still alive (DESIGN.md).
 */
export const taskTransitions: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['assigned', 'killed'],
  assigned: ['pending', 'syncing', 'running', 'completed', 'failed', 'oom', 'killed', 'lost', 'stopped'],
  syncing: ['running', 'failed', 'killed', 'lost', 'stopped'],
  running: ['paused', 'completed', 'failed', 'oom', 'killed', 'lost', 'stopped'],
  paused: ['running', 'completed', 'failed', 'oom', 'killed', 'lost', 'stopped'],
  completed: [],
  failed: [],
  oom: [],
  killed: [],
  lost: ['running'],
  /** VPS only: `kawa vps restart` places it again (assigned) or it is killed for good. */
  stopped: ['assigned', 'pending', 'killed'],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return taskTransitions[from].includes(to);
}

/** The container name that selects the no-Docker executor. */
export const NO_CONTAINER = 'NULL';
/** `NULL`, or an env name (see envs.ts). */
export const ContainerNameSchema = z.string().superRefine((name, ctx) => {
  if (name === NO_CONTAINER) return;
  const problem = envNameProblem(name);
  if (problem !== null) codedIssue(ctx, 'KAWA_ERR_BAD_ENV_NAME', problem);
});

export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const noNul = (value: string): boolean => !value.includes('\0');

export const EnvSchema = z.record(z.string(), z.string().max(32_768)).superRefine((env, ctx) => {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME_PATTERN.test(name))
      codedIssue(ctx, 'KAWA_ERR_BAD_ENV', `env name "${name}" must match ${ENV_NAME_PATTERN.source}`);
    else if (!noNul(value)) codedIssue(ctx, 'KAWA_ERR_BAD_ENV', `env ${name} contains a NUL byte`);
  }
  if (Object.keys(env).length > 256) codedIssue(ctx, 'KAWA_ERR_BAD_ENV', 'at most 256 env variables');
});

export const CommandSchema = z
  .array(z.string().max(65_536))
  .max(4096)
  .superRefine((argv, ctx) => {
    if (argv.length === 0 || argv[0] === '')
      codedIssue(ctx, 'KAWA_ERR_EMPTY_COMMAND', 'the command is empty: give it after "--", for example -- echo hello');
    else if (!argv.every(noNul)) codedIssue(ctx, 'KAWA_ERR_BAD_REQUEST', 'a command argument contains a NUL byte');
  });

export const AbsolutePathSchema = z
  .string()
  .max(4096)
  .refine((path) => path.startsWith('/') && noNul(path), 'must be an absolute path');

/** Container paths Kawa mounts itself; an extra mount may not cover or shadow them. */
export const RESERVED_MOUNT_TARGETS = ['/shared', '/local_temp'] as const;

/** Why `path` is not a clean absolute path, or null. */
export function mountPathProblem(path: string): string | null {
  if (!path.startsWith('/')) return `"${path}" is not an absolute path`;
  if (path.length > 4096) return 'a mount path has at most 4096 characters';
  if (!noNul(path) || path.includes(',')) return `"${path}" contains a NUL byte or a comma`;
  if (path !== '/' && path.endsWith('/')) return `"${path}" ends with "/"`;
  if (path.split('/').some((part, index) => index > 0 && (part === '' || part === '.' || part === '..')))
    return `"${path}" is not normalised (no "//", "." or ".." segments)`;
  return null;
}

/** An extra bind mount: a host path (allow-listed in the host config) into the container. */
export const MountSchema = z
  .strictObject({
    source: z.string(),
    target: z.string(),
    readOnly: z.boolean().default(false),
  })
  .superRefine((mount, ctx) => {
    const problem = mountPathProblem(mount.source) ?? mountPathProblem(mount.target);
    if (problem !== null)
      return codedIssue(ctx, 'KAWA_ERR_BAD_MOUNT', `mount ${mount.source}:${mount.target}: ${problem}`);
    if (mount.source === '/') return codedIssue(ctx, 'KAWA_ERR_BAD_MOUNT', 'the host root "/" cannot be mounted');
    if (mount.target === '/')
      return codedIssue(ctx, 'KAWA_ERR_BAD_MOUNT', 'a mount cannot replace the container root "/"');
    for (const reserved of RESERVED_MOUNT_TARGETS) {
      if (
        mount.target === reserved ||
        mount.target.startsWith(`${reserved}/`) ||
        reserved.startsWith(`${mount.target}/`)
      )
        return codedIssue(
          ctx,
          'KAWA_ERR_BAD_MOUNT',
          `mount target ${mount.target} collides with Kawa's own ${reserved}`,
        );
    }
  });
export type Mount = z.output<typeof MountSchema>;

/** Parses `HOST:CONT[:ro|:rw]`, as `docker run -v` writes it, into a mount (validated by MountSchema later). */
export function parseMountSpec(text: string): z.input<typeof MountSchema> | null {
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3) return null;
  const [source = '', target = '', mode] = parts;
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') return null;
  return { source, target, readOnly: mode === 'ro' };
}

/** POST /api/v1/tasks. One task is made per target; no target lets the scheduler pick. */
export const SubmitTaskRequestSchema = z
  .strictObject({
    command: CommandSchema,
    targets: z.array(TargetInputSchema).max(1000).default([]),
    cores: CoresSchema.default(1),
    memory: MemoryInputSchema.nullable().default(null),
    env: EnvSchema.default({}),
    workdir: AbsolutePathSchema.nullable().default(null),
    /** An env name, or `NULL` for the no-Docker executor. Omitted: the host's default (unless `image` is given). */
    container: ContainerNameSchema.optional(),
    /** A registry image to run instead of an env; the runner pulls it when it lacks it. */
    image: ImageRefSchema.optional(),
    /** Extra bind mounts (Docker tasks); each source must be under the host's mount_allow_list. */
    mounts: z.array(MountSchema).max(32).default([]),
    /** Docker --privileged; admins only. */
    privileged: z.boolean().default(false),
    privateNetwork: z.boolean().default(false),
    privatePid: z.boolean().default(false),
    /** Higher runs first; equal priorities run in submit order. */
    priority: z.number().int().min(-1000).max(1000).default(0),
    /** GPUs to pick on the chosen node, when no target names GPU ids. */
    gpus: z.number().int().min(0).max(64).default(0),
    /** `auto`: the scheduler picks a NUMA zone (targets may not name one). */
    numa: z.literal('auto').nullable().default(null),
    /** Expand `span:` arguments of `command` into one task per combination (see sweep.ts). */
    sweep: z.boolean().default(false),
    /** At most this many tasks of the batch hold resources at once; null: no limit. */
    maxParallel: z.number().int().min(1).max(10_000).nullable().default(null),
    /** Requeue a task that ends `lost` up to this many times. */
    retry: z.number().int().min(0).max(100).default(0),
    /** With `retry`, requeue `failed` tasks too. */
    retryOnFail: z.boolean().default(false),
  })
  .superRefine((request, ctx) => {
    if (request.gpus > 0 && request.targets.some((target) => target.gpus.length > 0))
      codedIssue(ctx, 'KAWA_ERR_BAD_TARGET', 'give GPU ids in the target (node::0,1) or a count with --gpus, not both');
    if (request.numa === 'auto' && request.targets.some((target) => target.numa !== null))
      codedIssue(ctx, 'KAWA_ERR_BAD_TARGET', '--numa auto picks the zone; a target may not name one too');
    if (request.retryOnFail && request.retry === 0)
      codedIssue(ctx, 'KAWA_ERR_BAD_REQUEST', '--retry-on-fail needs --retry N with N ≥ 1');
    if (request.image !== undefined && request.container !== undefined)
      codedIssue(ctx, 'KAWA_ERR_BAD_REQUEST', 'give --container or --image, not both');
    const noDocker = request.container === NO_CONTAINER;
    if (noDocker && request.mounts.length > 0)
      codedIssue(
        ctx,
        'KAWA_ERR_BAD_MOUNT',
        'extra mounts need a Docker task; --container NULL runs on the node itself',
      );
    if (noDocker && request.privileged)
      codedIssue(
        ctx,
        'KAWA_ERR_BAD_REQUEST',
        '--privileged needs a Docker task; --container NULL runs on the node itself',
      );
  });
/** What a client sends (before defaults and parsing). */
export type SubmitTaskInput = z.input<typeof SubmitTaskRequestSchema>;
export type SubmitTaskRequest = z.output<typeof SubmitTaskRequestSchema>;

// Sweep expansion and its size limit are checked by the host (KAWA_ERR_BAD_SWEEP), which owns the batch.

export const SubmitTaskResponseSchema = z.object({
  batchId: z.number().int(),
  taskIds: z.array(z.number().int()),
});
export type SubmitTaskResponse = z.infer<typeof SubmitTaskResponseSchema>;

/** A node's progress making a task's image present: loading an env tarball, or pulling an image. */
export const SyncProgressSchema = z.object({
  /** The env name, or the image for `--image` tasks. */
  what: z.string().max(600),
  phase: z.enum(['waiting', 'loading', 'pulling']),
  doneBytes: z.number().int().min(0),
  totalBytes: z.number().int().min(0).nullable(),
});
export type SyncProgress = z.infer<typeof SyncProgressSchema>;

export const TaskSchema = z.object({
  id: z.number().int(),
  /** `vps`: a persistent container with sshd (vps.ts); `command`: runs the argv to its end. */
  kind: z.enum(['command', 'vps']),
  /** VPS: the OpenSSH public key installed as root's authorized_keys; null for commands. */
  publicKey: z.string().nullable(),
  batchId: z.number().int(),
  owner: z.string(),
  command: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  workdir: z.string().nullable(),
  /** The env the task runs in; null with `image` (a registry image) or for the no-Docker executor. */
  container: z.string().nullable(),
  /** A registry image, when the task names one instead of an env. */
  image: z.string().nullable(),
  mounts: z.array(MountSchema),
  privileged: z.boolean(),
  cores: z.number(),
  memoryBytes: z.number().int().nullable(),
  /** The target the user asked for, or null when the scheduler picks. */
  target: TargetSchema.nullable(),
  /** Where the task was placed. */
  node: z.string().nullable(),
  numa: z.number().int().nullable(),
  gpus: z.array(z.number().int()),
  privateNetwork: z.boolean(),
  privatePid: z.boolean(),
  priority: z.number().int(),
  /** GPUs asked for by count (the placed ones are in `gpus`). */
  gpuCount: z.number().int(),
  numaAuto: z.boolean(),
  maxParallel: z.number().int().nullable(),
  retry: z.number().int(),
  retryOnFail: z.boolean(),
  /** 1 for the first run; each requeue after lost (or failed, with retryOnFail) adds one. */
  attempt: z.number().int(),
  status: TaskStatusSchema,
  /** Why a pending task waits, or why a task failed. */
  reason: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  /** While `syncing`: how far the node has got loading the task's env. */
  syncProgress: SyncProgressSchema.nullable(),
  submittedAt: z.number().int(),
  startedAt: z.number().int().nullable(),
  endedAt: z.number().int().nullable(),
});
export type Task = z.infer<typeof TaskSchema>;

const idParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const TaskIdParamsSchema = z.strictObject({ id: idParam });

const statusListSchema = z
  .string()
  .transform((text) => text.split(','))
  .pipe(z.array(TaskStatusSchema).min(1));

export const ListTasksQuerySchema = z.strictObject({
  status: statusListSchema.optional(),
  node: z.string().max(63).optional(),
  batch: idParam.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Keyset paging: only tasks with an id below this one. */
  before: idParam.optional(),
});
export type ListTasksQuery = z.output<typeof ListTasksQuerySchema>;

export const ListTasksResponseSchema = z.object({
  tasks: z.array(TaskSchema),
  /** Pass as `before` to get the next page; null on the last page. */
  nextBefore: z.number().int().nullable(),
  total: z.number().int(),
});
export type ListTasksResponse = z.infer<typeof ListTasksResponseSchema>;

export const WaitTaskQuerySchema = z.strictObject({
  /** How long the host holds the request before answering with the current state. */
  timeoutMs: z.coerce.number().int().min(0).max(300_000).default(30_000),
});

/** One recorded change of a task's state. */
export const TaskEventSchema = z.object({
  taskId: z.number().int(),
  at: z.number().int(),
  from: TaskStatusSchema.nullable(),
  to: TaskStatusSchema,
  message: z.string().nullable(),
});
export type TaskEvent = z.infer<typeof TaskEventSchema>;
export const TaskEventsResponseSchema = z.object({ events: z.array(TaskEventSchema) });
