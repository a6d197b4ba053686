import { Readable } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  KawaError,
  isKawaError,
  parseOrThrow,
  routes,
  type RouteDef,
  type RouteName,
  type RouteParsed,
  type RouteResponse,
  type Routes,
} from '@kawa/protocol';
import { authHook, principalOf } from '../auth/hook.js';
import type { Principal } from '../auth/principal.js';
import type { AuthService } from '../auth/service.js';
import { noQuery } from './no-query.js';

/** What a route handler gets: its parts parsed with the route's schemas, and who called. */
export interface RouteCall<N extends RouteName> {
  params: RouteParsed<N, 'params'>;
  query: RouteParsed<N, 'query'>;
  body: RouteParsed<N, 'body'>;
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** One line of a stream route's NDJSON answer. */
export type RouteStreamEvent<N extends RouteName> = Routes[N] extends { stream: infer S extends z.ZodType }
  ? z.output<S>
  : never;

/**
 * JSON routes return their response type. Stream routes return the events to write as NDJSON:
 * whatever the handler throws before returning is an ordinary JSON error with its status.
 * Text routes (logs) return what Fastify can send.
 */
export type RouteResult<N extends RouteName> = Routes[N] extends { response: z.ZodType }
  ? RouteResponse<N>
  : Routes[N] extends { stream: z.ZodType }
    ? AsyncIterable<RouteStreamEvent<N>>
    : unknown;

export type RouteHandler<N extends RouteName> = (call: RouteCall<N>) => RouteResult<N> | Promise<RouteResult<N>>;

/** One handler per protocol route; the compiler checks that none is missing. */
export type RouteHandlers = { [N in RouteName]: RouteHandler<N> };

export interface RouteTableOptions {
  auth: AuthService;
  /** Check every JSON answer against its response schema (tests); a mismatch is a 500. */
  validateResponses: boolean;
}

function registerRoute<N extends RouteName>(
  app: FastifyInstance,
  name: N,
  handler: RouteHandler<N>,
  options: RouteTableOptions,
): void {
  const route: RouteDef = routes[name];
  app.route({
    method: route.method,
    url: route.path,
    onRequest: authHook(options.auth, route.auth),
    handler: async (request, reply) => {
      const call = {
        params: route.params ? parseOrThrow(route.params, request.params, 'path parameters') : undefined,
        query: route.query ? parseOrThrow(route.query, request.query, 'query') : noQuery(request.query),
        body: route.body ? parseOrThrow(route.body, request.body, 'body') : undefined,
        principal: principalOf(request),
        request,
        reply,
      } as RouteCall<N>;
      const result = await handler(call);
      if (route.stream) {
        const events = result as AsyncIterable<unknown>;
        const schema = options.validateResponses ? route.stream : null;
        reply
          .status(route.successStatus ?? 200)
          .type('application/x-ndjson')
          .header('cache-control', 'no-store');
        return reply.send(Readable.from(ndjsonLines(name, events, schema, request.log)));
      }
      if (route.response && options.validateResponses) {
        const checked = route.response.safeParse(result);
        if (!checked.success) throw new Error(`${name} answered outside its schema: ${checked.error.message}`);
      }
      reply.status(route.successStatus ?? 200);
      return result;
    },
  });
}

/**
 * The events as NDJSON lines. Once the answer has started its status cannot change, so a
 * failure becomes the last line, `{"type":"error","error":{code,message}}` (routes.ts: every
 * stream ends in `done` or `error`). A bug is logged and sent as KAWA_ERR_INTERNAL.
 */
async function* ndjsonLines(
  name: RouteName,
  events: AsyncIterable<unknown>,
  schema: z.ZodType | null,
  log: FastifyBaseLogger,
): AsyncGenerator<string> {
  try {
    for await (const event of events) {
      if (schema) {
        const checked = schema.safeParse(event);
        if (!checked.success) throw new Error(`${name} streamed an event outside its schema: ${checked.error.message}`);
      }
      yield `${JSON.stringify(event)}\n`;
    }
  } catch (error) {
    let known: KawaError;
    if (isKawaError(error)) {
      known = error;
    } else {
      log.error({ err: error, route: name }, 'unexpected error in a stream');
      known = new KawaError('KAWA_ERR_INTERNAL', 'internal error in the host; its log has the details');
    }
    yield `${JSON.stringify({ type: 'error', error: known.toBody().error })}\n`;
  }
}

/** Registers every route of the protocol's table, each with its auth hook and schemas. */
export function registerRouteTable(app: FastifyInstance, handlers: RouteHandlers, options: RouteTableOptions): void {
  const register = <N extends RouteName>(name: N): void => registerRoute(app, name, handlers[name], options);
  for (const name of Object.keys(routes) as RouteName[]) register(name);
}
