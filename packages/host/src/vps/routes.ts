import type { RouteHandlers } from '../http/route-table.js';
import type { VpsService } from './service.js';

type VpsRoutes = 'createVps' | 'listVps' | 'stopVps' | 'restartVps';

export function vpsRouteHandlers(vps: VpsService): Pick<RouteHandlers, VpsRoutes> {
  return {
    createVps: ({ principal, body }) => vps.create(principal, body),
    listVps: ({ principal }) => ({ vps: vps.list(principal) }),
    stopVps: ({ principal, params }) => vps.stop(principal, params.id),
    restartVps: ({ principal, params }) => vps.restart(principal, params.id),
  };
}
