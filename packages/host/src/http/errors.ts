import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KawaError, RUNNER_LINK_PATH, isKawaError, routes } from '@kawa/protocol';

/** Fastify's own client errors, in Kawa's terms. */
const fastifyCodes: Record<string, (error: FastifyError, bodyLimit: number) => KawaError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new KawaError('KAWA_ERR_UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with "Content-Type: application/json"'),
  FST_ERR_CTP_BODY_TOO_LARGE: (_error, bodyLimit) =>
    new KawaError('KAWA_ERR_PAYLOAD_TOO_LARGE', `the body is larger than ${bodyLimit} bytes (host.max_body_bytes)`),
  FST_ERR_CTP_INVALID_JSON_BODY: (error) =>
    new KawaError('KAWA_ERR_BAD_JSON', `the body is not valid JSON: ${error.message}`),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new KawaError('KAWA_ERR_BAD_JSON', 'the body is empty but its Content-Type says JSON'),
};

function hasCode(error: unknown): error is FastifyError {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

/** The KawaError an error stands for, or null if it is a bug. */
export function toKawaError(error: unknown, bodyLimit: number): KawaError | null {
  if (isKawaError(error)) return error;
  if (!hasCode(error)) return null;
  const mapped = fastifyCodes[error.code];
  if (mapped) return mapped(error, bodyLimit);
  // Any other error Fastify marks as the client's fault (a bad URL, a broken Content-Length…).
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new KawaError('KAWA_ERR_BAD_REQUEST', error.message);
  }
  return null;
}

/** Turns a route path with `:params` into a matcher for concrete URLs. */
function pathMatcher(path: string): RegExp {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+');
  return new RegExp(`^${escaped}/?$`);
}

const knownPaths = [
  ...Object.values(routes).map((route) => ({ method: route.method, matcher: pathMatcher(route.path) })),
  { method: 'GET', matcher: pathMatcher(RUNNER_LINK_PATH) },
  { method: 'GET', matcher: pathMatcher('/') },
];

/**
 * Every error leaves as `{error:{code,message,details?}}`. Expected errors keep their status;
 * anything else is a bug: logged in full, answered with a bare 500.
 */
export function installErrorHandlers(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const known = toKawaError(error, bodyLimit);
    if (known) {
      if (known.status >= 500) request.log.warn({ code: known.code, message: known.message }, 'request failed');
      return reply.status(known.status).send(known.toBody());
    }
    request.log.error({ err: error, method: request.method, url: request.url }, 'unexpected error');
    return reply
      .status(500)
      .send(new KawaError('KAWA_ERR_INTERNAL', 'internal error in the host; its log has the details').toBody());
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = knownPaths.filter((known) => known.matcher.test(path)).map((known) => known.method);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      const error = new KawaError(
        'KAWA_ERR_METHOD_NOT_ALLOWED',
        `${request.method} is not allowed on ${path}; use ${allowed.join(' or ')}`,
      );
      return reply.status(error.status).header('allow', allowed.join(', ')).send(error.toBody());
    }
    const error = new KawaError('KAWA_ERR_NOT_FOUND', `no route ${request.method} ${path}`);
    return reply.status(error.status).send(error.toBody());
  });
}

/**
 * Errors Fastify raises before routing (a URL that does not decode, a path parameter over the
 * length limit). Without this they would leave in Fastify's own body shape.
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const kawaError = new KawaError('KAWA_ERR_BAD_REQUEST', error.message);
  void reply.status(kawaError.status).send(kawaError.toBody());
}
