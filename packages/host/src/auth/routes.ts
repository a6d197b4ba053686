import type { RouteHandlers } from '../http/route-table.js';

export function authRouteHandlers(): Pick<RouteHandlers, 'whoami'> {
  return {
    whoami: ({ principal }) => ({ user: principal.user, admin: principal.admin }),
  };
}
