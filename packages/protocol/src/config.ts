import { z } from 'zod';
import { ContainerNameSchema } from './task.js';
import { NODE_NAME_PATTERN } from './targets.js';

/**
 * ~/.kawa/config.toml. Paths may start with `~/`; the loader expands them. Every key can be
 * overridden by `KAWA_<SECTION>_<KEY>` (for example KAWA_HOST_PORT), and flags override both.
 * Numbers accept strings so that environment values parse.
 */
const port = z.coerce.number().int().min(0).max(65_535);
const seconds = z.coerce.number().positive().max(86_400);
const path = z.string().min(1).max(4096);
const url = z.string().regex(/^(https?):\/\/[^\s/]+(\/.*)?$/, 'must be an http:// or https:// URL');
const dockerSocket = z.string().min(1).max(4096).default('/var/run/docker.sock');
/** A file path, or empty for none. */
const optionalPath = z.string().max(4096).default('');
/** A list of absolute paths; an env value gives them comma-separated. */
const pathList = z
  .union([
    z.array(z.string()),
    z.string().transform((text) => (text.trim() === '' ? [] : text.split(',').map((part) => part.trim()))),
  ])
  .pipe(z.array(z.string().regex(/^\/[^\0,]*$/, 'must be an absolute path')).max(256));
/** How the scheduler picks a node for a task with no target (docs/scheduler.md). */
export const placementPolicies = ['best-fit', 'least-loaded', 'round-robin'] as const;
export type PlacementPolicy = (typeof placementPolicies)[number];
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')]);

export const HostConfigSchema = z.strictObject({
  /** Address the API binds to. */
  listen: z.string().min(1).default('127.0.0.1'),
  port: port.default(8000),
  /** Seconds a client has to send a request's headers (also a WebSocket handshake); then 408. */
  headers_timeout: seconds.default(10),
  /** Seconds a client has to send a whole request, body included; then 408. */
  request_timeout: seconds.default(60),
  /** Seconds an idle keep-alive connection stays open. */
  keep_alive_timeout: seconds.default(5),
  /** Open connections (HTTP and WebSocket) the host accepts; any beyond are closed at once. */
  max_connections: z.coerce.number().int().min(1).max(1_000_000).default(1024),
  state_dir: path.default('~/.kawa/host'),
  shared_dir: path.default('~/.kawa/shared'),
  /** How often runners send a heartbeat. */
  heartbeat_interval: seconds.default(5),
  /** A node with no heartbeat for this long is offline. */
  heartbeat_grace: seconds.default(20),
  /** Env used when a submit names neither container nor image; NULL is the no-Docker executor. */
  default_container: ContainerNameSchema.default('default'),
  /** A locally present image the host packs as the default env's first tarball; it never pulls. */
  default_env_image: z.string().min(1).max(512).default('debian:bookworm-slim'),
  /** Tarballs kept per env; older ones are deleted after each tar create. */
  env_tarballs_keep: z.coerce.number().int().min(1).max(1000).default(3),
  /** Host paths (and everything below them) that tasks may bind-mount with --mount. */
  mount_allow_list: pathList.default([]),
  /** The Docker Engine's socket for host containers and tarballs. */
  docker_socket: dockerSocket,
  /** How a task without a target is placed: best-fit, least-loaded or round-robin (docs/scheduler.md). */
  placement_policy: z.enum(placementPolicies).default('best-fit'),
  /**
   * Seconds a pending task waits before the scheduler reserves what it needs on one node, so
   * smaller tasks behind it can no longer backfill those resources; 0 reserves at once.
   */
  backfill_reserve_after: z.coerce.number().min(0).max(86_400).default(60),
  /** Largest accepted request body. */
  max_body_bytes: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 << 20)
    .default(1 << 20),
  /** PEM certificate chain and key for HTTPS/WSS; both empty (plain HTTP) or both set. */
  tls_cert: optionalPath,
  tls_key: optionalPath,
});

export const RunnerConfigSchema = z.strictObject({
  /** Node name; empty means the machine's hostname. */
  name: z.union([z.literal(''), z.string().regex(NODE_NAME_PATTERN)]).default(''),
  host_url: url.default('http://127.0.0.1:8000'),
  /** The cluster join token, or a file holding it. */
  join_token: z.string().default(''),
  join_token_file: path.default('~/.kawa/host/join-token'),
  state_dir: path.default('~/.kawa/runner'),
  shared_dir: path.default('~/.kawa/shared'),
  local_temp_dir: path.default('~/.kawa/local-temp'),
  numactl_path: path.default('numactl'),
  /** The Docker Engine's socket for Docker tasks. */
  docker_socket: dockerSocket,
  /** cgroup under each controller that holds this runner's tasks. */
  cgroup_parent: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/)
    .default('kawa'),
  /** Longest wait between reconnect attempts. */
  reconnect_max_delay: seconds.default(10),
  /** PEM CA certificate(s) to trust for a wss:// host with a self-signed certificate. */
  ca_file: optionalPath,
});

export const ClientConfigSchema = z.strictObject({
  host_url: url.default('http://127.0.0.1:8000'),
  /** An API token, or a file holding it. */
  token: z.string().default(''),
  token_file: path.default('~/.kawa/host/admin-token'),
  /** Print JSON instead of tables. */
  json: bool.default(false),
  /** PEM CA certificate(s) to trust for an https:// host with a self-signed certificate. */
  ca_file: optionalPath,
});

export const ConfigFileSchema = z.strictObject({
  host: HostConfigSchema.default(HostConfigSchema.parse({})),
  runner: RunnerConfigSchema.default(RunnerConfigSchema.parse({})),
  client: ClientConfigSchema.default(ClientConfigSchema.parse({})),
});
export type ConfigFile = z.output<typeof ConfigFileSchema>;
export type HostConfig = ConfigFile['host'];
export type RunnerConfig = ConfigFile['runner'];
export type ClientConfig = ConfigFile['client'];
export type ConfigSection = keyof ConfigFile;
export const configSections: readonly ConfigSection[] = ['host', 'runner', 'client'];
