import type { FastifyInstance } from 'fastify';
import { registerEventStreamRoute } from '../events/routes.js';
import type { HostServices } from '../services.js';
import { registerWebAssets } from './assets.js';

/**
 * Everything the web dashboard needs from the host: the event stream and the SPA's files from
 * `webRoot` (packages/web/dist); with no built SPA, `/` says how to build it.
 */
export function registerDashboard(
  app: FastifyInstance,
  services: Pick<HostServices, 'auth' | 'events' | 'shutdown'>,
  webRoot: string | null,
): void {
  registerEventStreamRoute(app, services.auth, services.events, { signal: services.shutdown.signal });
  // Encapsulated: @fastify/static's reply.sendFile and the catch-all GET stay in here.
  void app.register((instance) => registerWebAssets(instance, webRoot));
}
