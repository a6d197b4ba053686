import { LOG_SIZE_HEADER } from '@kawa/protocol';
import type { RouteHandlers } from '../http/route-table.js';
import type { LogsService } from './service.js';

export function logRouteHandlers(logs: LogsService): Pick<RouteHandlers, 'taskLogs'> {
  return {
    taskLogs: async ({ principal, params, query, reply }) => {
      const answer = await logs.read(principal, params.id, query);
      reply.header('content-type', 'text/plain; charset=utf-8');
      reply.header(LOG_SIZE_HEADER, String(answer.size));
      if (query.follow) {
        reply.header('cache-control', 'no-cache');
        // Fastify writes the head with the first chunk; a follow of a quiet log could wait long
        // for one, so send the head as soon as Fastify has set it up (right after this returns).
        setImmediate(() => {
          if (!reply.raw.headersSent && !reply.raw.writableEnded && !reply.raw.destroyed) reply.raw.flushHeaders();
        });
      }
      return answer.body;
    },
  };
}
