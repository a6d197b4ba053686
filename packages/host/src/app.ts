import type { Duplex } from 'node:stream';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { MAX_FRAME_BYTES, linkCloseCodes, type HostConfig } from '@kawa/protocol';
import { authRouteHandlers } from './auth/routes.js';
import { systemClock, type Clock } from './clock.js';
import { doctorRouteHandlers } from './doctor/routes.js';
import { envRouteHandlers } from './envs/routes.js';
import { registerShellRoute } from './envs/shell-route.js';
import { answerFrameworkError, installErrorHandlers } from './http/errors.js';
import { installJsonBodyParser } from './http/json-body.js';
import { applyServerLimits, serverLimitOptions } from './http/server-limits.js';
import { registerRouteTable, type RouteHandlers } from './http/route-table.js';
import { logRouteHandlers } from './logs/routes.js';
import { nodeRouteHandlers } from './nodes/routes.js';
import { registerRunnerLinkRoute } from './runner-gateway/routes.js';
import { createServices } from './services.js';
import { registerStreamRoutes } from './streams/routes.js';
import type { Store } from './store/store.js';
import { taskRouteHandlers } from './tasks/routes.js';
import { userRouteHandlers } from './users/routes.js';
import { vpsRouteHandlers } from './vps/routes.js';
import { registerDashboard } from './web/register.js';

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface AppDeps {
  /** The host section of the config, paths already expanded. */
  config: HostConfig;
  /** The opened store; the caller closes it after the app. */
  store: Store;
  clock?: Clock;
  logLevel?: LogLevel;
  /** Serve HTTPS (and wss://) with this PEM certificate chain and key; absent: plain HTTP. */
  tls?: { cert: Buffer; key: Buffer } | null;
  /** Where the log goes (default stderr); tests read it to check that no token is logged. */
  logStream?: NodeJS.WritableStream;
  /** Check every JSON answer against its route's response schema (tests turn this on). */
  validateResponses?: boolean;
  /** How long kill, pause and resume wait for the runner's answer. */
  commandTimeoutMs?: number;
  /** The fallback poll of log follow; fs.watch usually wakes it sooner. */
  logPollMs?: number;
  /** How long a runner has to dial an SSH or terminal stream back (default: commandTimeoutMs). */
  streamOpenTimeoutMs?: number;
  /** How often SSH and terminal streams ping both sides to find dead peers. */
  streamPingMs?: number;
  /** Pack the default env's first tarball in the background once the app is ready (startHost does). */
  buildDefaultEnv?: boolean;
  /** The built web dashboard (packages/web/dist) to serve at `/`; absent: `/` says it is not built. */
  webRoot?: string | null;
}

/** Log fields that may hold a token, wherever a request's headers are logged. */
const redactedLogPaths = ['authorization', 'sec-websocket-protocol'].flatMap((header) =>
  ['', 'headers', 'req.headers', 'request.headers', 'req.raw.headers'].map((prefix) => `${prefix}["${header}"]`),
);

const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
const DEFAULT_LOG_POLL_MS = 500;
const DEFAULT_STREAM_PING_MS = 30_000;

/**
 * The whole host as a Fastify app, without listening: REST under /api/v1 from the protocol's
 * route table, the runner link, and the services behind them. Tests drive it with inject().
 */
declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Takes a runner's end of a stream from a runner in this process (`kawa up`) instead of its
     * dial-back; false when no stream with this id waits for one (the caller keeps the socket).
     */
    acceptLocalStream(streamId: string, socket: Duplex): boolean;
  }
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const limits = serverLimitOptions(deps.config);
  // With TLS the server is an https.Server; routes, hooks and inject() work the same on both.
  // Fastify then ignores `http`, so the https options carry its server options too.
  const app = Fastify({
    ...((deps.tls ? { https: { ...deps.tls, ...limits.http } } : {}) as object),
    logger: {
      level: deps.logLevel ?? 'info',
      // stdout belongs to the command that embeds the host (kawa up prints its banner there).
      stream: deps.logStream ?? process.stderr,
      // Tokens are never logged: the header, and the WebSocket subprotocol kawa.token.<token>.
      redact: { paths: redactedLogPaths, censor: '[redacted]' },
    },
    bodyLimit: deps.config.max_body_bytes,
    // One log line per request would cost more than the request at benchmark rates.
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    // Long-polls and log follows would otherwise hold close() until they end.
    forceCloseConnections: true,
    frameworkErrors: answerFrameworkError,
    ...limits,
  });
  applyServerLimits(app.server, deps.config, app.log);

  const services = createServices({
    config: deps.config,
    store: deps.store,
    clock: deps.clock ?? systemClock,
    log: app.log,
    commandTimeoutMs: deps.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    logPollMs: deps.logPollMs ?? DEFAULT_LOG_POLL_MS,
    streamOpenTimeoutMs: deps.streamOpenTimeoutMs ?? deps.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    streamPingMs: deps.streamPingMs ?? DEFAULT_STREAM_PING_MS,
  });

  app.decorateRequest('principal', null);
  app.decorate('acceptLocalStream', (streamId: string, socket: Duplex) =>
    services.streams.acceptLocal(streamId, socket),
  );
  installJsonBodyParser(app);
  installErrorHandlers(app, deps.config.max_body_bytes);

  void app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_FRAME_BYTES },
    preClose(done) {
      services.gateway.closeAll(linkCloseCodes.hostShutdown, 'the host is shutting down');
      // Terminals close themselves on this; the server's close waits for every socket.
      services.shutdown.abort();
      services.streams.close();
      this.websocketServer.close(() => done());
    },
  });

  const handlers: RouteHandlers = {
    ...authRouteHandlers(),
    ...nodeRouteHandlers(services.nodes),
    ...taskRouteHandlers(services.tasks, services.shutdown.signal),
    ...vpsRouteHandlers(services.vps),
    ...logRouteHandlers(services.logs),
    ...envRouteHandlers(services.envs, services.shutdown.signal),
    ...userRouteHandlers(services.users, services.audit),
    ...doctorRouteHandlers(deps.config.shared_dir),
  };
  // Routes go in a plugin so they are added after @fastify/websocket is loaded (its onRoute
  // hook must see the runner link), and after any onRoute hook the caller adds to the app.
  void app.register((instance, _options, done) => {
    registerRouteTable(instance, handlers, {
      auth: services.auth,
      audit: services.audit,
      validateResponses: deps.validateResponses ?? false,
    });
    registerRunnerLinkRoute(instance, services.auth, services.link);
    registerShellRoute(instance, services.auth, services.envs.shell, services.audit);
    registerStreamRoutes(instance, services.auth, services.streams, services.audit);
    registerDashboard(instance, services, deps.webRoot ?? null);
    done();
  });

  if (deps.buildDefaultEnv) {
    // Not awaited: the host listens at once; a submit that needs the env waits for it instead.
    app.addHook('onReady', (done) => {
      void services.envs.defaultEnv.ensure(services.shutdown.signal);
      done();
    });
  }
  app.addHook('preClose', async () => {
    await services.stop();
  });
  return app;
}
