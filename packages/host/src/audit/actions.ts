import type { RouteName } from '@kawa/protocol';

/** What an audited route is called in the log, and how to name its target from the call. */
export interface AuditRule {
  action: string;
  target(call: { params: unknown; body: unknown; result: unknown }): string;
}

const field = (value: unknown, key: string): string => {
  if (typeof value !== 'object' || value === null) return '?';
  const found = (value as Record<string, unknown>)[key];
  return typeof found === 'string' || typeof found === 'number' ? String(found) : '?';
};
const task = (call: { params: unknown }): string => `task ${field(call.params, 'id')}`;
const env = (call: { params: unknown }): string => `env ${field(call.params, 'name')}`;

/**
 * The REST routes whose calls the audit log records, success or not. Reads are not audited;
 * the SSH, terminal and host-shell WebSockets are recorded by their routes.
 */
export const auditedRoutes: Partial<Record<RouteName, AuditRule>> = {
  submitTasks: {
    action: 'task.submit',
    target: ({ result }) => {
      const ids = (result as { taskIds?: number[] } | undefined)?.taskIds;
      return ids === undefined ? 'tasks' : `batch ${field(result, 'batchId')}: tasks ${ids.join(',')}`;
    },
  },
  killTask: { action: 'task.kill', target: task },
  pauseTask: { action: 'task.pause', target: task },
  resumeTask: { action: 'task.resume', target: task },
  killBatch: { action: 'batch.kill', target: ({ params }) => `batch ${field(params, 'id')}` },
  createVps: {
    action: 'vps.create',
    target: ({ result }) => (result === undefined ? 'vps' : `task ${field(result, 'id')}`),
  },
  stopVps: { action: 'vps.stop', target: task },
  restartVps: { action: 'vps.restart', target: task },
  createHostContainer: { action: 'env.container.create', target: ({ body }) => `env ${field(body, 'name')}` },
  startHostContainer: { action: 'env.container.start', target: env },
  stopHostContainer: { action: 'env.container.stop', target: env },
  deleteHostContainer: { action: 'env.container.delete', target: env },
  createTarball: { action: 'env.tar.create', target: env },
  deleteTarball: { action: 'env.tar.delete', target: env },
  createUser: { action: 'user.add', target: ({ body }) => `user ${field(body, 'name')}` },
  createToken: { action: 'token.create', target: ({ params }) => `user ${field(params, 'name')}` },
  revokeToken: { action: 'token.revoke', target: ({ params }) => `token ${field(params, 'id')}` },
};
