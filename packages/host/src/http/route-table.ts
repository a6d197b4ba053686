import { Readable } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  KawaError,
  errorCodes,
  isKawaError,
  type ErrorCode,
  parseOrThrow,
  routes,
  type RouteDef,
  type RouteName,
  type RouteParsed,
  type RouteResponse,
  type Routes,
} from '@kawa/protocol';
import { auditedRoutes, type AuditRule } from '../audit/actions.js';
import { CLIENT_LEFT, type AuditLog } from '../audit/audit-log.js';
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
  /** Records the calls of the routes in audit/actions.ts. */
  audit: AuditLog;
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
      const rule = auditedRoutes[name];
      let result: RouteResult<N>;
      try {
        result = await handler(call);
      } catch (error) {
        if (rule) record(options.audit, rule, call, undefined, error);
        throw error;
      }
      if (rule && !route.stream) record(options.audit, rule, call, result);
      if (route.stream) {
        let events = result as AsyncIterable<unknown>;
        if (rule) events = auditedStream(events, (error) => record(options.audit, rule, call, undefined, error));
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

function record(
  audit: AuditLog,
  rule: AuditRule,
  call: { params: unknown; body: unknown; principal: Principal },
  result: unknown,
  error?: unknown,
): void {
  const target = rule.target({ params: call.params, body: call.body, result });
  audit.record({ user: call.principal.user, action: rule.action, target }, error);
}

/** The failure a stream's `{type:"error", error:{code}}` line reports, as a KawaError. */
function streamError(event: unknown): KawaError | null {
  if (typeof event !== 'object' || event === null || (event as { type?: unknown }).type !== 'error') return null;
  const code = (event as { error?: { code?: unknown } }).error?.code;
  const known = typeof code === 'string' && code in errorCodes ? (code as ErrorCode) : 'KAWA_ERR_INTERNAL';
  return new KawaError(known, 'the stream ended with an error');
}

/** The events of a stream route, recording its outcome in the audit log when it ends. */
async function* auditedStream(
  events: AsyncIterable<unknown>,
  done: (error?: unknown) => void,
): AsyncGenerator<unknown> {
  let failure: unknown;
  let ended = false;
  try {
    for await (const event of events) {
      // A stream reports its own failure as its last event (an `error` line).
      const reported = streamError(event);
      if (reported) failure = reported;
      yield event;
    }
    ended = true;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // Stopped early: the client left (or the host is shutting down) before the stream ended.
    done(ended || failure !== undefined ? failure : CLIENT_LEFT);
  }
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
