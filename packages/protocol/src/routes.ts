import { z } from 'zod';
import {
  CreateHostContainerRequestSchema,
  DeleteTarballQuerySchema,
  DeleteTarballResponseSchema,
  EnvNameParamsSchema,
  HostContainerListResponseSchema,
  HostContainerSchema,
  TarballListResponseSchema,
  TarCreateEventSchema,
  TerminalQuerySchema,
} from './envs.js';
import { SharedProbeRequestSchema, SharedProbeResponseSchema } from './doctor.js';
import { LogsQuerySchema } from './logs.js';
import { CreateVpsRequestSchema } from './vps.js';
import {
  ApiTokenSchema,
  AuditEntrySchema,
  CreateUserRequestSchema,
  ListAuditQuerySchema,
  ListTokensQuerySchema,
  NewTokenResponseSchema,
  TokenIdParamsSchema,
  UserParamsSchema,
  UserSchema,
} from './users.js';
import { NodeListResponseSchema, NodeNameParamsSchema, NodeSchema } from './node.js';
import {
  ListTasksQuerySchema,
  ListTasksResponseSchema,
  SubmitTaskRequestSchema,
  SubmitTaskResponseSchema,
  TaskEventsResponseSchema,
  TaskIdParamsSchema,
  TaskSchema,
  WaitTaskQuerySchema,
} from './task.js';

export const API_PREFIX = '/api/v1';

/** Who may call a route: any API token, or only an admin token. */
export type RouteAuth = 'user' | 'admin';

export interface RouteDef {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  auth: RouteAuth;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The JSON answer; absent for routes that answer with text or a stream. */
  response?: z.ZodType;
  /** Routes that answer with NDJSON (one event per line) give the schema of a line here. */
  stream?: z.ZodType;
  successStatus?: number;
  summary: string;
}

const EmptyObject = z.strictObject({});

/**
 * Every REST route, defined once. The host registers exactly these; the client builds its
 * calls from them. Paths use Fastify's `:param` syntax.
 */
export const routes = {
  whoami: {
    method: 'GET',
    path: `${API_PREFIX}/whoami`,
    auth: 'user',
    response: z.object({ user: z.string(), admin: z.boolean() }),
    summary: 'The user behind the token.',
  },
  doctorSharedProbe: {
    method: 'POST',
    path: `${API_PREFIX}/doctor/shared-probe`,
    auth: 'user',
    body: SharedProbeRequestSchema,
    response: SharedProbeResponseSchema,
    summary: 'Whether the host sees a probe file kawa doctor wrote into its shared dir (same storage on both).',
  },
  listNodes: {
    method: 'GET',
    path: `${API_PREFIX}/nodes`,
    auth: 'user',
    response: NodeListResponseSchema,
    summary: 'Every node with status, resources and usage.',
  },
  getNode: {
    method: 'GET',
    path: `${API_PREFIX}/nodes/:name`,
    auth: 'user',
    params: NodeNameParamsSchema,
    response: NodeSchema,
    summary: 'One node.',
  },
  submitTasks: {
    method: 'POST',
    path: `${API_PREFIX}/tasks`,
    auth: 'user',
    body: SubmitTaskRequestSchema,
    response: SubmitTaskResponseSchema,
    successStatus: 201,
    summary: 'Submit one task per target, in one batch.',
  },
  listTasks: {
    method: 'GET',
    path: `${API_PREFIX}/tasks`,
    auth: 'user',
    query: ListTasksQuerySchema,
    response: ListTasksResponseSchema,
    summary: 'Tasks, newest first, filtered by status, node and batch.',
  },
  getTask: {
    method: 'GET',
    path: `${API_PREFIX}/tasks/:id`,
    auth: 'user',
    params: TaskIdParamsSchema,
    response: TaskSchema,
    summary: 'One task.',
  },
  waitTask: {
    method: 'GET',
    path: `${API_PREFIX}/tasks/:id/wait`,
    auth: 'user',
    params: TaskIdParamsSchema,
    query: WaitTaskQuerySchema,
    response: TaskSchema,
    summary: 'Long-poll: answers when the task reaches a final state, or at the timeout with its current state.',
  },
  taskEvents: {
    method: 'GET',
    path: `${API_PREFIX}/tasks/:id/events`,
    auth: 'user',
    params: TaskIdParamsSchema,
    response: TaskEventsResponseSchema,
    summary: 'The recorded state changes of a task.',
  },
  killTask: {
    method: 'POST',
    path: `${API_PREFIX}/tasks/:id/kill`,
    auth: 'user',
    params: TaskIdParamsSchema,
    body: EmptyObject.optional(),
    response: TaskSchema,
    summary: 'Kill a task in any non-final state.',
  },
  pauseTask: {
    method: 'POST',
    path: `${API_PREFIX}/tasks/:id/pause`,
    auth: 'user',
    params: TaskIdParamsSchema,
    body: EmptyObject.optional(),
    response: TaskSchema,
    summary: 'Freeze a running task; it keeps its resources.',
  },
  resumeTask: {
    method: 'POST',
    path: `${API_PREFIX}/tasks/:id/resume`,
    auth: 'user',
    params: TaskIdParamsSchema,
    body: EmptyObject.optional(),
    response: TaskSchema,
    summary: 'Thaw a paused task.',
  },
  taskLogs: {
    method: 'GET',
    path: `${API_PREFIX}/tasks/:id/logs`,
    auth: 'user',
    params: TaskIdParamsSchema,
    query: LogsQuerySchema,
    summary: 'A task’s stdout or stderr as text; tail, byte range or follow.',
  },
  drainNode: {
    method: 'POST',
    path: `${API_PREFIX}/nodes/:name/drain`,
    auth: 'admin',
    params: NodeNameParamsSchema,
    body: EmptyObject.optional(),
    response: NodeSchema,
    summary: 'Stop new placements on a node; the tasks it runs finish.',
  },
  undrainNode: {
    method: 'POST',
    path: `${API_PREFIX}/nodes/:name/undrain`,
    auth: 'admin',
    params: NodeNameParamsSchema,
    body: EmptyObject.optional(),
    response: NodeSchema,
    summary: 'Let a drained node take new tasks again.',
  },
  killBatch: {
    method: 'POST',
    path: `${API_PREFIX}/batches/:id/kill`,
    auth: 'user',
    params: TaskIdParamsSchema,
    body: EmptyObject.optional(),
    response: z.object({ batchId: z.number().int(), killed: z.array(z.number().int()) }),
    summary: 'Kill every task of a batch that is not final yet.',
  },
  createVps: {
    method: 'POST',
    path: `${API_PREFIX}/vps`,
    auth: 'user',
    body: CreateVpsRequestSchema,
    response: TaskSchema,
    successStatus: 201,
    summary: 'Create a VPS: a persistent container with sshd and your key, placed like a task.',
  },
  listVps: {
    method: 'GET',
    path: `${API_PREFIX}/vps`,
    auth: 'user',
    response: z.object({ vps: z.array(TaskSchema) }),
    summary: 'VPS tasks that are not final (running, paused, stopped, or on their way), newest first.',
  },
  stopVps: {
    method: 'POST',
    path: `${API_PREFIX}/vps/:id/stop`,
    auth: 'user',
    params: TaskIdParamsSchema,
    body: EmptyObject.optional(),
    response: TaskSchema,
    summary: 'Stop a VPS: its container goes, it holds nothing, and it can be restarted.',
  },
  restartVps: {
    method: 'POST',
    path: `${API_PREFIX}/vps/:id/restart`,
    auth: 'user',
    params: TaskIdParamsSchema,
    body: EmptyObject.optional(),
    response: TaskSchema,
    summary: 'Recreate a VPS container from the same env and key (running or stopped).',
  },
  listHostContainers: {
    method: 'GET',
    path: `${API_PREFIX}/docker/containers`,
    auth: 'user',
    response: HostContainerListResponseSchema,
    summary: 'The persistent host containers kawa-env-NAME that envs are prepared in.',
  },
  createHostContainer: {
    method: 'POST',
    path: `${API_PREFIX}/docker/containers`,
    auth: 'admin',
    body: CreateHostContainerRequestSchema,
    response: HostContainerSchema,
    successStatus: 201,
    summary: 'Create and start kawa-env-NAME from a locally present image.',
  },
  startHostContainer: {
    method: 'POST',
    path: `${API_PREFIX}/docker/containers/:name/start`,
    auth: 'admin',
    params: EnvNameParamsSchema,
    body: EmptyObject.optional(),
    response: HostContainerSchema,
    summary: 'Start a stopped host container.',
  },
  stopHostContainer: {
    method: 'POST',
    path: `${API_PREFIX}/docker/containers/:name/stop`,
    auth: 'admin',
    params: EnvNameParamsSchema,
    body: EmptyObject.optional(),
    response: HostContainerSchema,
    summary: 'Stop a host container; its files stay.',
  },
  deleteHostContainer: {
    method: 'DELETE',
    path: `${API_PREFIX}/docker/containers/:name`,
    auth: 'admin',
    params: EnvNameParamsSchema,
    response: z.object({ name: z.string() }),
    summary: 'Remove a host container (tarballs already made stay).',
  },
  listTarballs: {
    method: 'GET',
    path: `${API_PREFIX}/docker/tarballs`,
    auth: 'user',
    response: TarballListResponseSchema,
    summary: 'Every env with its tarball versions, newest first.',
  },
  createTarball: {
    method: 'POST',
    path: `${API_PREFIX}/docker/tarballs/:name`,
    auth: 'admin',
    params: EnvNameParamsSchema,
    body: EmptyObject.optional(),
    stream: TarCreateEventSchema,
    summary: 'Commit kawa-env-NAME to kawa/NAME:base and save it as a new tarball; answers NDJSON progress.',
  },
  deleteTarball: {
    method: 'DELETE',
    path: `${API_PREFIX}/docker/tarballs/:name`,
    auth: 'admin',
    params: EnvNameParamsSchema,
    query: DeleteTarballQuerySchema,
    response: DeleteTarballResponseSchema,
    summary: 'Delete one tarball version, or all of an env’s tarballs.',
  },
  listUsers: {
    method: 'GET',
    path: `${API_PREFIX}/users`,
    auth: 'admin',
    response: z.object({ users: z.array(UserSchema) }),
    summary: 'Every user, with the number of tokens not revoked.',
  },
  createUser: {
    method: 'POST',
    path: `${API_PREFIX}/users`,
    auth: 'admin',
    body: CreateUserRequestSchema,
    response: NewTokenResponseSchema,
    successStatus: 201,
    summary: 'Add a user with a first API token; the answer is the only place the token appears.',
  },
  createToken: {
    method: 'POST',
    path: `${API_PREFIX}/users/:name/tokens`,
    auth: 'admin',
    params: UserParamsSchema,
    body: EmptyObject.optional(),
    response: NewTokenResponseSchema,
    successStatus: 201,
    summary: 'Make another API token for a user; shown once.',
  },
  listTokens: {
    method: 'GET',
    path: `${API_PREFIX}/tokens`,
    auth: 'admin',
    query: ListTokensQuerySchema,
    response: z.object({ tokens: z.array(ApiTokenSchema) }),
    summary: 'API tokens by id and prefix (never the token), revoked ones included.',
  },
  revokeToken: {
    method: 'POST',
    path: `${API_PREFIX}/tokens/:id/revoke`,
    auth: 'admin',
    params: TokenIdParamsSchema,
    body: EmptyObject.optional(),
    response: ApiTokenSchema,
    summary: 'Revoke an API token: refused from now on, and its open WebSockets are closed.',
  },
  listAudit: {
    method: 'GET',
    path: `${API_PREFIX}/audit`,
    auth: 'admin',
    query: ListAuditQuerySchema,
    response: z.object({ entries: z.array(AuditEntrySchema) }),
    summary: 'The audit log, newest first: who did what to which target, when, and how it ended.',
  },
} as const satisfies Record<string, RouteDef>;

/**
 * The other upgrade `vpsSsh` takes: after `101 Switching Protocols` the connection carries the
 * SSH bytes unframed, so a proxy can hand the socket itself to ssh (ProxyUseFdpass). The host
 * answers `101` only once the VPS's end is ready (every refusal before it is a coded HTTP error)
 * and sends nothing after it until the client's first byte has arrived.
 */
export const SSH_RAW_UPGRADE = 'kawa-ssh';

/** WebSocket routes: not part of the JSON route table, but authenticated the same way. */
export const wsRoutes = {
  vpsSsh: {
    path: `${API_PREFIX}/vps/:id/ssh`,
    auth: 'user',
    params: TaskIdParamsSchema,
    query: z.strictObject({}),
    summary:
      'Raw bytes to and from the VPS sshd: binary frames with `Upgrade: websocket`, or unframed after ' +
      '`101` with `Upgrade: kawa-ssh` (what kawa ssh speaks).',
  },
  taskTerminal: {
    path: `${API_PREFIX}/tasks/:id/terminal`,
    auth: 'user',
    params: TaskIdParamsSchema,
    query: TerminalQuerySchema,
    summary: 'An interactive TTY (docker exec) in a running task or VPS; same frames as host-container shells.',
  },
  hostContainerShell: {
    path: `${API_PREFIX}/docker/containers/:name/shell`,
    auth: 'admin',
    params: EnvNameParamsSchema,
    query: TerminalQuerySchema,
    summary: 'An interactive TTY (docker exec) in kawa-env-NAME; see the terminal frames in envs.ts.',
  },
} as const satisfies Record<
  string,
  { path: string; auth: RouteAuth; params: z.ZodType; query: z.ZodType; summary: string }
>;

/** Close codes of terminal WebSockets, besides 1000 after an `exit` frame. */
export const terminalCloseCodes = {
  /** The request failed validation or names nothing that exists; an `error` frame says why. */
  refused: 4400,
  /** The Docker Engine failed. */
  dockerFailed: 4502,
} as const;

export type Routes = typeof routes;
export type RouteName = keyof Routes;

type Field<R, K extends string> = R extends Record<K, infer S> ? (S extends z.ZodType ? S : never) : never;
/** The input a caller gives for a route's part (params, query or body), before parsing. */
export type RouteInput<N extends RouteName, K extends 'params' | 'query' | 'body'> = z.input<Field<Routes[N], K>>;
/** A route's parsed part, as a handler sees it. */
export type RouteParsed<N extends RouteName, K extends 'params' | 'query' | 'body'> = z.output<Field<Routes[N], K>>;
export type RouteResponse<N extends RouteName> = z.output<Field<Routes[N], 'response'>>;

/** Fills `:param` placeholders in a route path. */
export function buildPath(path: string, params: Record<string, string | number> = {}): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}
