import type { FastifyInstance } from 'fastify';
import { KawaError } from '@kawa/protocol';

/**
 * Bodies are JSON or nothing: any other Content-Type is a 415 (Fastify's own error, mapped in
 * errors.ts). An empty JSON body counts as no body, so `POST …/kill` works with or without `{}`.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch (error) {
      done(new KawaError('KAWA_ERR_BAD_JSON', `the body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });
}
