import type { FastifyInstance } from 'fastify';
import { KawaError, eventStreamRoute } from '@kawa/protocol';
import { authHook, principalOf } from '../auth/hook.js';
import type { AuthService } from '../auth/service.js';
import type { EventHub } from './hub.js';
import { runEventSession, type EventSessionOptions } from './session.js';

/** GET /api/v1/events: the event stream, authenticated before the upgrade like every route. */
export function registerEventStreamRoute(
  app: FastifyInstance,
  auth: AuthService,
  hub: EventHub,
  options: EventSessionOptions,
): void {
  app.route({
    method: 'GET',
    url: eventStreamRoute.path,
    onRequest: authHook(auth, eventStreamRoute.auth),
    handler: () => {
      throw new KawaError(
        'KAWA_ERR_BAD_REQUEST',
        `${eventStreamRoute.path} is a WebSocket: connect with an Upgrade request`,
      );
    },
    wsHandler: (socket, request) => runEventSession(socket, principalOf(request), hub, options),
  });
}
