import {
  KawaError,
  MAX_SWEEP_SIZE,
  NO_CONTAINER,
  SweepSyntaxError,
  expandSweep,
  formatTarget,
  type HostConfig,
  type SubmitTaskRequest,
  type Target,
} from '@kawa/protocol';
import type { Principal } from '../auth/principal.js';
import type { EnvCheck } from '../envs/env-check.js';
import type { NodeRegistry } from '../nodes/registry.js';
import { neverFits } from '../scheduler/fit.js';
import type { NewTask } from '../store/task-repo.js';
import { checkMountsAllowed } from './mount-policy.js';

/** The reason a task shows between its insert and the first scheduler pass. */
export const NOT_YET_SCHEDULED = 'waiting for the scheduler';

/** Where a task runs: an env (`container`), a registry image, or neither (the no-Docker executor). */
export interface Runtime {
  container: string | null;
  image: string | null;
}

/** `image` wins; otherwise the named container, else the host's default; NULL means no Docker. */
export function runtimeOf(request: Pick<SubmitTaskRequest, 'image' | 'container'>, config: HostConfig): Runtime {
  if (request.image !== undefined) return { container: null, image: request.image };
  const container = request.container ?? config.default_container;
  return { container: container === NO_CONTAINER ? null : container, image: null };
}

/**
 * Checks what only Docker tasks may ask for. The request schema already refuses these with an
 * explicit `--container NULL`; this also covers a NULL that comes from the host's default.
 */
function checkDockerOnly(request: SubmitTaskRequest, runtime: Runtime, principal: Principal, config: HostConfig): void {
  const noDocker = runtime.container === null && runtime.image === null;
  if (noDocker && request.mounts.length > 0)
    throw new KawaError(
      'KAWA_ERR_BAD_MOUNT',
      'extra mounts need a Docker task; this one runs on the node itself (container NULL)',
    );
  if (noDocker && request.privileged)
    throw new KawaError(
      'KAWA_ERR_BAD_REQUEST',
      '--privileged needs a Docker task; this one runs on the node itself (container NULL)',
    );
  if (request.privileged && !principal.admin)
    throw new KawaError('KAWA_ERR_FORBIDDEN', '--privileged needs an admin token');
  checkMountsAllowed(request.mounts, config.mount_allow_list);
}

/**
 * The commands of a submit: its argv, or with `sweep` every combination of its `span:`
 * arguments. A malformed span, or more than MAX_SWEEP_SIZE tasks in all (commands × targets),
 * is a 400 before anything is stored.
 */
export function commandsOf(request: SubmitTaskRequest, targets: number): string[][] {
  if (!request.sweep) return [request.command];
  let commands: string[][];
  try {
    commands = expandSweep(request.command);
  } catch (error) {
    if (error instanceof SweepSyntaxError) throw new KawaError('KAWA_ERR_BAD_SWEEP', error.message, { cause: error });
    throw error;
  }
  if (commands.length * targets > MAX_SWEEP_SIZE)
    throw new KawaError(
      'KAWA_ERR_BAD_SWEEP',
      `the sweep makes ${commands.length} commands × ${targets} targets = ${commands.length * targets} tasks; at most ${MAX_SWEEP_SIZE}`,
    );
  return commands;
}

/**
 * Turns a parsed submit into the rows to insert: one per command (several with a sweep) and
 * target, or one the scheduler places per command. Requests that can never run are refused
 * here, before anything is stored.
 */
export async function planSubmit(
  request: SubmitTaskRequest,
  principal: Principal,
  config: HostConfig,
  nodes: NodeRegistry,
  envs: EnvCheck,
): Promise<NewTask[]> {
  const runtime = runtimeOf(request, config);
  checkDockerOnly(request, runtime, principal, config);
  const targets: (Target | null)[] = request.targets.length === 0 ? [null] : request.targets;
  const commands = commandsOf(request, targets.length);
  for (const target of targets) {
    if (target === null) continue;
    const node = nodes.get(target.node);
    if (!node) continue;
    const reason = neverFits(
      {
        cores: request.cores,
        memoryBytes: request.memory,
        target,
        gpuCount: request.gpus,
        numaAuto: request.numa === 'auto',
      },
      node.name,
      node.resources,
    );
    if (reason !== null) {
      throw new KawaError('KAWA_ERR_UNSATISFIABLE', `target ${formatTarget(target)} can never fit: ${reason}`, {
        details: { target: formatTarget(target) },
      });
    }
  }
  // Last, as it reads shared storage: cheap checks answer first.
  if (runtime.container !== null) await envs.requireEnv(runtime.container);
  // Command-major: a sweep's tasks come in the order kawarun runs them, each on every target.
  return commands.flatMap((command) =>
    targets.map((target) => ({
      kind: 'command' as const,
      publicKey: null,
      owner: principal.user,
      command,
      env: request.env,
      workdir: request.workdir,
      container: runtime.container,
      image: runtime.image,
      mounts: request.mounts,
      privileged: request.privileged,
      cores: request.cores,
      memoryBytes: request.memory,
      target,
      privateNetwork: request.privateNetwork,
      privatePid: request.privatePid,
      priority: request.priority,
      gpuCount: request.gpus,
      numaAuto: request.numa === 'auto',
      maxParallel: request.maxParallel,
      retry: request.retry,
      retryOnFail: request.retryOnFail,
    })),
  );
}
