/**
 * The commented default config that `kawa init config` writes. `values` fills in the
 * settings `kawa up` needs to wire a one-machine cluster; everything else stays commented.
 */
export interface DefaultConfigValues {
  port?: number;
  hostUrl?: string;
}

export function renderDefaultConfig(values: DefaultConfigValues = {}): string {
  const port = values.port ?? 8000;
  const hostUrl = values.hostUrl ?? `http://127.0.0.1:${port}`;
  return `# Kawa configuration. Every key can also be set with KAWA_<SECTION>_<KEY>
# (for example KAWA_HOST_PORT=9000), and command-line flags override both.
# Paths may start with ~/.

[host]
# Address and port of the REST + WebSocket API and the dashboard.
# listen = "127.0.0.1"
port = ${port}
# Slow clients: seconds to send the headers (and a WebSocket handshake) and the whole request;
# both are answered 408 past the limit. Idle keep-alive connections close after keep_alive_timeout.
# headers_timeout = 10
# request_timeout = 60
# keep_alive_timeout = 5
# Open connections (HTTP and WebSocket together); any beyond are closed at once.
# max_connections = 1024
# SQLite database, tokens (mode 0600) and other host state.
# state_dir = "~/.kawa/host"
# Shared storage: the same path on every node. Logs go to <shared_dir>/logs/<task id>/.
# shared_dir = "~/.kawa/shared"
# Runners send a heartbeat every heartbeat_interval seconds; a node silent for
# heartbeat_grace seconds is offline.
# heartbeat_interval = 5
# heartbeat_grace = 20
# Env for tasks that name neither --container nor --image. NULL runs them without Docker.
# default_container = "default"
# A locally present image the host packs as the default env's first tarball (it never pulls).
# default_env_image = "debian:bookworm-slim"
# Tarballs kept per env; older ones go after each kawa docker tar create.
# env_tarballs_keep = 3
# Host paths (and all below them) that tasks may bind-mount with --mount HOST:CONT[:ro].
# mount_allow_list = ["/data", "/scratch"]
# The Docker Engine's socket, for host containers and tarballs.
# docker_socket = "/var/run/docker.sock"
# Where untargeted tasks go: best-fit, least-loaded or round-robin (docs/scheduler.md).
# placement_policy = "best-fit"
# Seconds a task waits at the head of the queue before the scheduler holds resources for it
# instead of backfilling smaller tasks past it (0: at once).
# backfill_reserve_after = 60
# Largest request body in bytes.
# max_body_bytes = 1048576
# HTTPS (and wss:// for runners): a PEM certificate chain and its key, both or neither
# (docs/security.md). Clients of a self-signed certificate set ca_file.
# tls_cert = "/etc/kawa/host.crt"
# tls_key = "/etc/kawa/host.key"

[runner]
# Node name; empty means this machine's hostname.
# name = ""
# Where the host listens, as this node reaches it.
host_url = "${hostUrl}"
# The cluster join token, or a file that holds it (the host writes it on first start).
# join_token = ""
# join_token_file = "~/.kawa/host/join-token"
# Local state: the runner's task table.
# state_dir = "~/.kawa/runner"
# Must be the same path as the host's shared_dir.
# shared_dir = "~/.kawa/shared"
# Node-local scratch space, given to tasks as KAWA_LOCAL_TEMP_DIR.
# local_temp_dir = "~/.kawa/local-temp"
# numactl binds no-Docker tasks to a NUMA zone.
# numactl_path = "numactl"
# The Docker Engine's socket, for Docker tasks and VPS.
# docker_socket = "/var/run/docker.sock"
# Tasks get cgroups under <controller>/<cgroup_parent>/<node name>/task-<id>.
# cgroup_parent = "kawa"
# Longest pause, in seconds, between attempts to reach the host.
# reconnect_max_delay = 10
# A PEM CA file to trust when host_url is wss:// or https:// with a self-signed certificate.
# ca_file = ""

[client]
# The host the CLI talks to.
host_url = "${hostUrl}"
# An API token, or a file that holds it. On the host machine the admin token file works.
# token = ""
# token_file = "~/.kawa/host/admin-token"
# Print JSON instead of tables.
# json = false
# A PEM CA file to trust when host_url is https:// with a self-signed certificate.
# ca_file = ""
`;
}
