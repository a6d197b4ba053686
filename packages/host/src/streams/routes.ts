import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  KawaError,
  RUNNER_STREAM_PATH,
  SSH_RAW_UPGRADE,
  StreamIdParamsSchema,
  parseOrThrow,
  wsRoutes,
  type StreamKind,
} from '@kawa/protocol';
import { authHook, principalOf } from '../auth/hook.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuthService } from '../auth/service.js';
import { closeReason } from './close-codes.js';
import type { TaskStreams } from './service.js';
import type { StreamTarget } from './target.js';

const notUpgraded = (path: string) => (): never => {
  throw new KawaError('KAWA_ERR_BAD_REQUEST', `${path} is a WebSocket: connect with an Upgrade request`);
};

/** Which upgrade a client stream asked for; anything but these is refused before the checks. */
function upgradeOf(request: FastifyRequest, kind: StreamKind): 'websocket' | 'raw' {
  const upgrade = request.headers.upgrade?.toLowerCase();
  if (upgrade === undefined || upgrade === 'websocket') return 'websocket';
  if (upgrade === SSH_RAW_UPGRADE && kind === 'ssh') return 'raw';
  const takes = kind === 'ssh' ? `websocket or ${SSH_RAW_UPGRADE}` : 'websocket';
  throw new KawaError('KAWA_ERR_BAD_REQUEST', `this stream takes Upgrade: ${takes}, not ${upgrade}`);
}

/**
 * The client streams (`vpsSsh`, `taskTerminal`) and the runners' dial-back. Every check runs
 * before the upgrade, so a refusal is a plain HTTP answer with a coded error body (401, 403,
 * 400, 404, 409, 503); only what happens after (the runner's answer) arrives as frames. vpsSsh
 * also takes `Upgrade: kawa-ssh`, unframed bytes after its 101, which the host answers once the
 * VPS's end is ready, so every refusal of that one is plain HTTP.
 */
export function registerStreamRoutes(
  app: FastifyInstance,
  auth: AuthService,
  streams: TaskStreams,
  audit: AuditLog,
): void {
  const targets = new WeakMap<FastifyRequest, StreamTarget>();
  // What a client sent behind its upgrade request; Fastify does not keep it.
  const heads = new WeakMap<IncomingMessage, Buffer>();
  app.server.prependListener('upgrade', (request: IncomingMessage, _socket: unknown, head: Buffer) => {
    heads.set(request, head);
  });
  const client = (kind: StreamKind, route: { path: string; auth: 'user' }): void => {
    app.route({
      method: 'GET',
      url: route.path,
      onRequest: authHook(auth, route.auth),
      preHandler: (request, reply, done) => {
        const principal = principalOf(request);
        // Every attempt past the token check is audited, refused ones too.
        const id = (request.params as { id?: unknown }).id;
        const entry = { user: principal.user, action: kind, target: `task ${String(id)}` };
        try {
          const upgrade = upgradeOf(request, kind);
          const target = streams.target(kind, { principal, params: request.params, query: request.query });
          audit.record(entry);
          if (upgrade === 'raw') {
            const head = heads.get(request.raw);
            // Without `Connection: Upgrade`, Node still parses HTTP on this connection.
            if (head === undefined)
              throw new KawaError('KAWA_ERR_BAD_REQUEST', `Upgrade: ${SSH_RAW_UPGRADE} needs Connection: Upgrade`);
            // The connection is the stream's from here: Fastify answers nothing more on it.
            reply.hijack();
            streams.runRaw(request.raw.socket, head, target);
            return done();
          }
          targets.set(request, target);
          done();
        } catch (error) {
          audit.record(entry, error);
          done(error as Error);
        }
      },
      handler: notUpgraded(route.path),
      wsHandler: (socket, request) => {
        const target = targets.get(request);
        if (target) return streams.run(socket, target);
        request.log.error({ route: route.path }, 'a stream was upgraded without its checks');
        socket.close(1011, 'internal error');
      },
    });
  };
  client('ssh', wsRoutes.vpsSsh);
  client('terminal', wsRoutes.taskTerminal);

  // The runner's half: the join token, and a stream id that waits for exactly this dial-back.
  app.route({
    method: 'GET',
    url: RUNNER_STREAM_PATH,
    onRequest: authHook(auth, 'runner'),
    preHandler: (request, _reply, done) => {
      try {
        const { streamId } = parseOrThrow(StreamIdParamsSchema, request.params, 'path parameters');
        if (!streams.broker.has(streamId))
          throw new KawaError(
            'KAWA_ERR_NOT_FOUND',
            'no stream with this id waits for its runner (unknown, expired or joined)',
          );
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    handler: notUpgraded(RUNNER_STREAM_PATH),
    wsHandler: (socket, request) => {
      const { streamId } = parseOrThrow(StreamIdParamsSchema, request.params, 'path parameters');
      // It may have expired between the check and the upgrade.
      if (!streams.broker.join(streamId, socket))
        socket.close(4404, closeReason('the stream expired before it was joined'));
    },
  });
}
