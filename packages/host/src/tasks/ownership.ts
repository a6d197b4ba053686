import { KawaError, type Task } from '@kawa/protocol';
import type { Principal } from '../auth/principal.js';

/** Whether `principal` may act on `task`: its owner, or an admin (DESIGN.md: users own their tasks). */
export function mayActOn(principal: Principal, task: Task): boolean {
  return principal.admin || task.owner === principal.user;
}

/**
 * Refuses with 403 unless `principal` may act on `task`: what keeps one user out of another's
 * tasks, logs, VPSes, SSH streams and terminals (docs/security.md).
 */
export function requireOwner(principal: Principal, task: Task, action: string): void {
  if (mayActOn(principal, task)) return;
  throw new KawaError(
    'KAWA_ERR_FORBIDDEN',
    `cannot ${action} task ${task.id}: it belongs to ${task.owner}, and only its owner or an admin may`,
    { details: { owner: task.owner } },
  );
}
