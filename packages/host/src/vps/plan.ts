import { KawaError, type CreateVpsRequest, type HostConfig, type SubmitTaskRequest } from '@kawa/protocol';
import type { Principal } from '../auth/principal.js';
import type { EnvCheck } from '../envs/env-check.js';
import type { NodeRegistry } from '../nodes/registry.js';
import type { NewTask } from '../store/task-repo.js';
import { planSubmit, runtimeOf } from '../tasks/submit.js';

/**
 * The argv a VPS task shows: sshd in the foreground, logging to stderr (so to the task's log).
 * The runner builds the container's sshd setup itself (key, no passwords); this records what
 * runs there, and is what `kawa task status` shows.
 */
export const VPS_COMMAND: readonly string[] = ['/usr/sbin/sshd', '-D', '-e'];

/**
 * Turns a create into the one task row to insert. A VPS is placed like any task, so the
 * submit's checks apply as they are (a target that can never fit, the env's tarball); only
 * what makes no sense for a VPS is fixed: no extra mounts, no privileges, no retries.
 */
export async function planVps(
  request: CreateVpsRequest,
  principal: Principal,
  config: HostConfig,
  nodes: NodeRegistry,
  envs: EnvCheck,
): Promise<NewTask> {
  const runtime = runtimeOf(request, config);
  if (runtime.container === null && runtime.image === null) {
    throw new KawaError(
      'KAWA_ERR_BAD_REQUEST',
      "a VPS is a container, but the host's default_container is NULL (no Docker): give --container ENV or --image IMAGE",
    );
  }
  const submit: SubmitTaskRequest = {
    command: [...VPS_COMMAND],
    targets: request.target === null ? [] : [request.target],
    cores: request.cores,
    memory: request.memory,
    env: {},
    workdir: null,
    container: request.container,
    image: request.image,
    mounts: [],
    privileged: false,
    privateNetwork: false,
    privatePid: false,
    priority: 0,
    gpus: request.gpus,
    numa: null,
    sweep: false,
    maxParallel: null,
    retry: 0,
    retryOnFail: false,
  };
  const rows = await planSubmit(submit, principal, config, nodes, envs);
  const [row] = rows;
  if (row === undefined || rows.length !== 1) throw new Error(`a VPS create planned ${rows.length} tasks`);
  return { ...row, kind: 'vps', publicKey: request.publicKey };
}
