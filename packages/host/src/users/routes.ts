import type { AuditLog } from '../audit/audit-log.js';
import type { RouteHandlers } from '../http/route-table.js';
import type { UsersService } from './service.js';

type UserRoutes = 'listUsers' | 'createUser' | 'createToken' | 'listTokens' | 'revokeToken' | 'listAudit';

export function userRouteHandlers(users: UsersService, audit: AuditLog): Pick<RouteHandlers, UserRoutes> {
  return {
    listUsers: () => ({ users: users.list() }),
    createUser: ({ body }) => users.add({ name: body.name, admin: body.admin }),
    createToken: ({ params }) => users.createToken(params.name),
    listTokens: ({ query }) => ({ tokens: users.tokens(query.user) }),
    revokeToken: ({ params }) => users.revoke(params.id),
    listAudit: ({ query }) => ({ entries: audit.list(query.limit, query.user) }),
  };
}
