import type { FastifyReply } from 'fastify';

/**
 * A signal that aborts when the answer's connection closes (the client left, or the answer
 * was sent), or when `also` aborts. Long-polls and log follows use it to clean up.
 */
export function connectionSignal(reply: FastifyReply, also: AbortSignal): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  return AbortSignal.any([controller.signal, also]);
}
