import {
  KawaError,
  NO_CONTAINER,
  formatTarget,
  type HostConfig,
  type SubmitTaskRequest,
  type Target,
} from '@kawa/protocol';
import type { Principal } from '../auth/principal.js';
import type { NodeRegistry } from '../nodes/registry.js';
import { neverFits } from '../scheduler/placement.js';
import type { NewTask } from '../store/task-repo.js';

/** The reason a task shows between its insert and the first scheduler pass. */
export const NOT_YET_SCHEDULED = 'waiting for the scheduler';

/**
 * Turns a parsed submit into the rows to insert: one per target, or one the scheduler places.
 * Requests that can never run are refused here, before anything is stored.
 */
export function planSubmit(
  request: SubmitTaskRequest,
  principal: Principal,
  config: HostConfig,
  nodes: NodeRegistry,
): NewTask[] {
  const container = request.container ?? config.default_container;
  if (container !== NO_CONTAINER) {
    throw new KawaError('KAWA_ERR_NOT_IMPLEMENTED', 'Docker tasks are not built yet; use --container NULL', {
      details: { container },
    });
  }
  const targets: (Target | null)[] = request.targets.length === 0 ? [null] : request.targets;
  for (const target of targets) {
    if (target === null) continue;
    const node = nodes.get(target.node);
    if (!node) continue;
    const reason = neverFits({ cores: request.cores, memoryBytes: request.memory, target }, node.name, node.resources);
    if (reason !== null) {
      throw new KawaError('KAWA_ERR_UNSATISFIABLE', `target ${formatTarget(target)} can never fit: ${reason}`, {
        details: { target: formatTarget(target) },
      });
    }
  }
  return targets.map((target) => ({
    owner: principal.user,
    command: request.command,
    env: request.env,
    workdir: request.workdir,
    container: null,
    cores: request.cores,
    memoryBytes: request.memory,
    target,
    privateNetwork: request.privateNetwork,
    privatePid: request.privatePid,
  }));
}
