import type { FastifyInstance } from 'fastify';
import { KawaError, RUNNER_LINK_PATH } from '@kawa/protocol';
import { authHook } from '../auth/hook.js';
import type { AuthService } from '../auth/service.js';
import { TaskEventBatch } from './event-batch.js';
import { runLinkSession, type LinkSessionDeps } from './link-session.js';

/** The runner link: a WebSocket for join-token holders, authenticated before the upgrade. */
export function registerRunnerLinkRoute(app: FastifyInstance, auth: AuthService, deps: LinkSessionDeps): void {
  const batch = new TaskEventBatch((body) => deps.transaction(body));
  app.route({
    method: 'GET',
    url: RUNNER_LINK_PATH,
    onRequest: authHook(auth, 'runner'),
    handler: () => {
      throw new KawaError(
        'KAWA_ERR_BAD_REQUEST',
        `${RUNNER_LINK_PATH} is a WebSocket: connect with an Upgrade request`,
      );
    },
    // The upgraded request's TCP socket is the one the WebSocket writes to.
    wsHandler: (socket, request) => runLinkSession(socket, deps, batch, request.socket),
  });
}
