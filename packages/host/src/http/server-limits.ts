import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import { KawaError, type HostConfig } from '@kawa/protocol';

/** How often Node looks for requests past headers_timeout or request_timeout. */
const MAX_CHECK_INTERVAL_MS = 1000;

/** The limits on slow clients, as Fastify's options (Node's server applies them). */
export function serverLimitOptions(
  config: Pick<HostConfig, 'headers_timeout' | 'request_timeout' | 'keep_alive_timeout'>,
): {
  http: ServerOptions;
  requestTimeout: number;
  keepAliveTimeout: number;
  clientErrorHandler: NonNullable<FastifyServerOptions['clientErrorHandler']>;
} {
  const headersMs = Math.round(config.headers_timeout * 1000);
  return {
    // Node checks the timeouts every connectionsCheckingInterval (30 s by default), which would
    // let a slow client hold its connection for up to 30 s past the limit.
    http: { connectionsCheckingInterval: Math.max(50, Math.min(MAX_CHECK_INTERVAL_MS, Math.floor(headersMs / 2))) },
    requestTimeout: Math.round(config.request_timeout * 1000),
    keepAliveTimeout: Math.round(config.keep_alive_timeout * 1000),
    clientErrorHandler: answerClientError,
  };
}

/**
 * Applies what Fastify has no option for: Node's headers timeout (never above the request
 * timeout, which Node would otherwise let win) and the connection cap. A connection beyond
 * max_connections is closed at once by Node, before any byte is read; a warning is logged at
 * most once a minute.
 */
export function applyServerLimits(
  server: Server,
  config: Pick<HostConfig, 'headers_timeout' | 'request_timeout' | 'max_connections'>,
  log: FastifyBaseLogger,
): void {
  server.headersTimeout = Math.round(Math.min(config.headers_timeout, config.request_timeout) * 1000);
  server.maxConnections = config.max_connections;
  let lastWarning = 0;
  server.on('drop', () => {
    const now = Date.now();
    if (now - lastWarning < 60_000) return;
    lastWarning = now;
    log.warn({ maxConnections: config.max_connections }, 'refused a connection: host.max_connections are open');
  });
}

/** The raw answers to errors Node raises before a request exists (Fastify's is not Kawa's shape). */
const clientErrors: Record<string, () => KawaError> = {
  ERR_HTTP_REQUEST_TIMEOUT: () =>
    new KawaError(
      'KAWA_ERR_REQUEST_TIMEOUT',
      'the request did not arrive in time (host.headers_timeout, host.request_timeout)',
    ),
  HPE_HEADER_OVERFLOW: () => new KawaError('KAWA_ERR_HEADERS_TOO_LARGE', 'the request headers are too large'),
};

function answerClientError(this: { log: FastifyBaseLogger }, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const kawaError =
    clientErrors[error.code ?? '']?.() ?? new KawaError('KAWA_ERR_BAD_REQUEST', 'the request is not valid HTTP');
  this.log.debug({ code: error.code }, 'client error');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(kawaError.toBody());
  socket.end(
    `HTTP/1.1 ${kawaError.status} ${statusText(kawaError.status)}\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // A client that never reads must not keep the socket: it is cut a moment after the answer.
  setTimeout(() => socket.destroy(), 1000).unref();
}

function statusText(status: number): string {
  switch (status) {
    case 408:
      return 'Request Timeout';
    case 431:
      return 'Request Header Fields Too Large';
    default:
      return 'Bad Request';
  }
}
