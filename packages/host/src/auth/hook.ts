import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import type { Principal } from './principal.js';
import type { Audience, AuthService } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route. */
    principal: Principal | null;
  }
}

/**
 * An onRequest hook that refuses the request unless its token fits `audience`. It runs before
 * the body is read and, on the runner link, before the WebSocket upgrade, so a refusal is a
 * plain HTTP 401/403.
 */
export function authHook(auth: AuthService, audience: Audience): onRequestHookHandler {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    try {
      request.principal = auth.authorize(request.headers.authorization, audience);
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
