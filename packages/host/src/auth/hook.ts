import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import { tokenFromSubprotocols } from '@kawa/protocol';
import type { Principal } from './principal.js';
import type { Audience, AuthService } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route. */
    principal: Principal | null;
  }
}

/**
 * The credentials of a request: its `Authorization` header or, on a WebSocket upgrade only, a
 * token offered as the subprotocol `kawa.token.<token>` after `kawa.v1` (browsers cannot set
 * headers on a WebSocket). A token in the URL is never read: URLs end up in logs and history.
 */
export function credentialsOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) return header;
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') return undefined;
  const token = tokenFromSubprotocols(request.headers['sec-websocket-protocol']);
  return token === null ? undefined : `Bearer ${token}`;
}

/**
 * An onRequest hook that refuses the request unless its token fits `audience`. It runs before
 * the body is read and, on WebSockets, before the upgrade, so a refusal is a plain HTTP
 * 401/403. The connection of an upgraded stream is cut if its token is revoked while it is open
 * (docs/security.md): a revocation ends terminals, SSH streams and event streams at once.
 */
export function authHook(auth: AuthService, audience: Audience): onRequestHookHandler {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    try {
      const principal = auth.authorize(credentialsOf(request), audience);
      request.principal = principal;
      // Any upgrade: a WebSocket, or the unframed `kawa-ssh` stream.
      if (request.headers.upgrade !== undefined) {
        const connection = request.raw.socket;
        const unwatch = auth.watch(principal.tokenId, () => connection.destroy());
        connection.once('close', unwatch);
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  };
}

/** The principal of a request that passed authHook. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.url} ran without the auth hook`);
  return request.principal;
}
