import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_PREFIX, KawaError } from '@kawa/protocol';

/** Vite puts content-hashed files here: they never change under their name. */
const HASHED_DIR = 'assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html and unhashed files: always revalidate (the ETag makes that a 304). */
const REVALIDATE = 'no-cache';

/** What every dashboard answer carries: the SPA loads only its own files and is never framed. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** True when `root` holds a built dashboard. */
export function hasDashboard(root: string | null): boolean {
  return root !== null && existsSync(join(root, 'index.html'));
}

/** The file under `root` a URL path names, or null when it names none (or tries to leave root). */
function fileUnder(root: string, path: string): string | null {
  const file = resolve(root, path);
  if (!file.startsWith(root + sep)) return null;
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

/** A client route of the SPA (/tasks/12) rather than a missing file (/logo.png): no dot in the last segment. */
const isClientRoute = (path: string): boolean => !(path.split('/').at(-1) ?? '').includes('.');
/** Paths that try to climb out of the root are nobody's file and no client route. */
const climbs = (path: string): boolean => path.split(/[/\\]/).includes('..') || path.includes('\0');

/**
 * Serves the built SPA from `root`: hashed assets with a year of caching, index.html for `/`
 * and for every client route, and the usual 404 for /api/* paths no route took, so API
 * clients never get HTML. Without built assets, `/` says how to build them.
 */
export async function registerWebAssets(app: FastifyInstance, root: string | null): Promise<void> {
  if (root === null || !hasDashboard(root)) {
    const where = root === null ? 'no dashboard directory was given to the host' : `${root}/index.html is missing`;
    app.get('/', () => {
      throw new KawaError('KAWA_ERR_NOT_IMPLEMENTED', `the web dashboard is not built: ${where}; run npm run build`);
    });
    return;
  }
  const absoluteRoot = resolve(root);
  await app.register(fastifyStatic, { root: absoluteRoot, serve: false, etag: true, lastModified: true });

  const send = (reply: FastifyReply, path: string, cacheControl: string): FastifyReply =>
    reply.headers(SECURITY_HEADERS).header('cache-control', cacheControl).sendFile(path, { cacheControl: false });

  const serve = (request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply): FastifyReply => {
    const path = request.params['*'] ?? '';
    const isApi = `/${path}`.startsWith(`${API_PREFIX}/`) || `/${path}` === API_PREFIX;
    if (!isApi && !climbs(path)) {
      if (path === '' || path === 'index.html') return send(reply, 'index.html', REVALIDATE);
      if (fileUnder(absoluteRoot, path) !== null)
        return send(reply, path, path.startsWith(HASHED_DIR) ? IMMUTABLE : REVALIDATE);
      if (isClientRoute(path)) return send(reply, 'index.html', REVALIDATE);
    }
    reply.callNotFound();
    return reply;
  };
  app.get('/', serve);
  app.get('/*', serve);
}
