import { z } from 'zod';
import { ErrorCodeSchema } from './errors.js';
import { NodeResourcesSchema, NodeUsageSchema } from './node.js';
import { MountSchema, SyncProgressSchema, TaskStatusSchema } from './task.js';
import { NODE_NAME_PATTERN } from './targets.js';

/**
 * The runner link: a WebSocket the runner dials to GET /api/v1/runner-link with
 * `Authorization: Bearer <join token>`. Every frame is one JSON text message, parsed with
 * these schemas on both ends.
 */
export const RUNNER_LINK_PATH = '/api/v1/runner-link';
/** Frames larger than this close the link. */
export const MAX_FRAME_BYTES = 1 << 20;

/** WebSocket close codes the host uses to tell a runner why it was dropped. */
export const linkCloseCodes = {
  /** A frame failed validation. */
  protocolError: 4400,
  /** Another connected runner already holds this name; do not retry quickly. */
  nameInUse: 4409,
  /** The host is shutting down. */
  hostShutdown: 4503,
} as const;

/** What a runner needs to start one task. */
export const TaskSpecSchema = z.object({
  id: z.number().int().positive(),
  kind: z.enum(['command', 'vps']),
  /** VPS: the public key for /root/.ssh/authorized_keys. */
  publicKey: z.string().max(17_000).nullable(),
  batchId: z.number().int().positive(),
  command: z.array(z.string()).min(1),
  env: z.record(z.string(), z.string()),
  workdir: z.string().nullable(),
  /** An env name: the runner syncs `kawa/<name>:base` from the newest tarball. null: see `image`. */
  container: z.string().nullable(),
  /** A registry image. Both null: the no-Docker executor. */
  image: z.string().nullable(),
  mounts: z.array(MountSchema),
  privileged: z.boolean(),
  cores: z.number().min(0),
  memoryBytes: z.number().int().positive().nullable(),
  numa: z.number().int().min(0).nullable(),
  gpus: z.array(z.number().int().min(0)),
  privateNetwork: z.boolean(),
  privatePid: z.boolean(),
});
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

/** States a runner may report; `pending`, `assigned` and `lost` belong to the host. */
export const RunnerReportedStatusSchema = TaskStatusSchema.extract([
  'stopped',
  'syncing',
  'running',
  'paused',
  'completed',
  'failed',
  'oom',
  'killed',
]);
export type RunnerReportedStatus = z.infer<typeof RunnerReportedStatusSchema>;

export const HelloFrameSchema = z.object({
  type: z.literal('hello'),
  name: z.string().regex(NODE_NAME_PATTERN),
  version: z.string().max(64),
  resources: NodeResourcesSchema,
  /** Tasks the runner still knows about, so the host can reconcile after a reconnect. */
  liveTasks: z
    .array(z.object({ taskId: z.number().int().positive(), status: RunnerReportedStatusSchema }))
    .max(100_000),
});

export const HeartbeatFrameSchema = z.object({
  type: z.literal('heartbeat'),
  usage: NodeUsageSchema,
});

export const TaskEventFrameSchema = z.object({
  type: z.literal('task-event'),
  taskId: z.number().int().positive(),
  status: RunnerReportedStatusSchema,
  exitCode: z.number().int().nullable(),
  /** Why the task failed, in words a user can act on. */
  message: z.string().max(4096).nullable(),
  errorCode: ErrorCodeSchema.nullable(),
  at: z.number().int(),
});
export type TaskEventFrame = z.infer<typeof TaskEventFrameSchema>;

/** Progress of a syncing task's env load or image pull; sent at most a few times a second. */
export const TaskProgressFrameSchema = z.object({
  type: z.literal('task-progress'),
  taskId: z.number().int().positive(),
  progress: SyncProgressSchema,
});
export type TaskProgressFrame = z.infer<typeof TaskProgressFrameSchema>;

export const CommandResultFrameSchema = z.object({
  type: z.literal('command-result'),
  requestId: z.number().int().positive(),
  ok: z.boolean(),
  error: z.object({ code: ErrorCodeSchema, message: z.string().max(4096) }).nullable(),
});
export type CommandResultFrame = z.infer<typeof CommandResultFrameSchema>;

export const RunnerFrameSchema = z.discriminatedUnion('type', [
  HelloFrameSchema,
  HeartbeatFrameSchema,
  TaskEventFrameSchema,
  TaskProgressFrameSchema,
  CommandResultFrameSchema,
]);
export type RunnerFrame = z.infer<typeof RunnerFrameSchema>;
export type HelloFrame = z.infer<typeof HelloFrameSchema>;

export const WelcomeFrameSchema = z.object({
  type: z.literal('welcome'),
  heartbeatIntervalMs: z.number().int().positive(),
});

export const TaskStartFrameSchema = z.object({
  type: z.literal('task-start'),
  task: TaskSpecSchema,
});

/** `stop`: a VPS's container stops and goes (status stopped); the task can be restarted later. */
export const TaskActionSchema = z.enum(['kill', 'pause', 'resume', 'stop']);
export type TaskAction = z.infer<typeof TaskActionSchema>;

export const TaskControlFrameSchema = z.object({
  type: z.literal('task-control'),
  requestId: z.number().int().positive(),
  taskId: z.number().int().positive(),
  action: TaskActionSchema,
});

/**
 * Asks the runner to open a reverse stream (see vps.ts): it dials back RUNNER_STREAM_PATH with
 * `streamId` and answers `command-result` for `requestId` (ok once dialled, or a coded error).
 */
export const StreamOpenFrameSchema = z.object({
  type: z.literal('stream-open'),
  requestId: z.number().int().positive(),
  streamId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  taskId: z.number().int().positive(),
  kind: z.enum(['ssh', 'terminal']),
  /** Terminal only: initial size and command (default: bash, else sh). */
  cols: z.number().int().min(1).max(1000).default(80),
  rows: z.number().int().min(1).max(1000).default(24),
  command: z.array(z.string().max(4096)).min(1).max(256).nullable().default(null),
  /**
   * SSH only: the client's bytes reach the host unframed (the `kawa-ssh` upgrade). A runner in
   * the host's own process (`kawa up`) may then hand its sshd connection to the host directly
   * instead of dialling back; any other runner dials back as usual.
   */
  raw: z.boolean().default(false),
});
export type StreamOpenFrame = z.infer<typeof StreamOpenFrameSchema>;

/**
 * The host has stored (committed) a `task-event`, or found it moot. The runner keeps each event,
 * and counts its task as live in `hello`, until this arrives: an event that was written to a
 * socket whose host then died is sent again on the next link instead of being lost.
 */
export const TaskEventAckFrameSchema = z.object({
  type: z.literal('task-event-ack'),
  taskId: z.number().int().positive(),
  status: RunnerReportedStatusSchema,
});
export type TaskEventAckFrame = z.infer<typeof TaskEventAckFrameSchema>;

export const HostFrameSchema = z.discriminatedUnion('type', [
  WelcomeFrameSchema,
  TaskStartFrameSchema,
  TaskControlFrameSchema,
  StreamOpenFrameSchema,
  TaskEventAckFrameSchema,
]);
export type HostFrame = z.infer<typeof HostFrameSchema>;
