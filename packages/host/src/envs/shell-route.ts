import type { FastifyInstance } from 'fastify';
import { KawaError, wsRoutes } from '@kawa/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import { authHook, principalOf } from '../auth/hook.js';
import type { AuthService } from '../auth/service.js';
import { runShellSession, type ShellDeps } from './shell-session.js';

/**
 * The terminal WebSocket into a host container. The token is checked by the REST auth hook
 * before the upgrade (a refusal is plain HTTP 401/403); everything after is terminal frames.
 */
export function registerShellRoute(app: FastifyInstance, auth: AuthService, deps: ShellDeps, audit: AuditLog): void {
  const route = wsRoutes.hostContainerShell;
  app.route({
    method: 'GET',
    url: route.path,
    onRequest: authHook(auth, route.auth),
    handler: () => {
      throw new KawaError('KAWA_ERR_BAD_REQUEST', `${route.path} is a WebSocket: connect with an Upgrade request`);
    },
    wsHandler: (socket, request) => {
      const name = (request.params as { name?: unknown }).name;
      audit.record({ user: principalOf(request).user, action: 'env.shell', target: `env ${String(name)}` });
      runShellSession(socket, { params: request.params, query: request.query }, deps);
    },
  });
}
