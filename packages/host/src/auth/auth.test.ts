import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_PREFIX, ErrorBodySchema, RUNNER_LINK_PATH, RUNNER_STREAM_PATH, buildPath } from '@kawa/protocol';
import { createTestHost, type TestHost } from '../testing/test-host.js';

interface SeenRoute {
  method: string;
  url: string;
}

/** Every route the app registers, collected as Fastify adds them. */
function collectRoutes(host: TestHost): SeenRoute[] {
  const seen: SeenRoute[] = [];
  host.app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) seen.push({ method, url: route.url });
  });
  return seen;
}

const bodyFor = (method: string): Record<string, unknown> | undefined =>
  method === 'POST' ? { command: ['true'] } : undefined;
const concrete = (url: string): string => buildPath(url, { id: 1, name: 'node1', streamId: 'a'.repeat(32) });
/** Routes for the join token: the runner link and the runners' stream dial-backs. */
const runnerRoutes = new Set([RUNNER_LINK_PATH, RUNNER_STREAM_PATH]);

describe('auth on every /api/v1 route', () => {
  let host: TestHost;
  let seen: SeenRoute[];

  beforeEach(async () => {
    host = createTestHost();
    seen = collectRoutes(host);
    await host.app.ready();
  });
  afterEach(() => host.close());

  it('found the protocol routes and the runner link', () => {
    const api = seen.filter((route) => route.url.startsWith(API_PREFIX));
    expect(api.length).toBeGreaterThanOrEqual(13);
    expect(api.some((route) => route.url === RUNNER_LINK_PATH)).toBe(true);
  });

  it('refuses a missing token with 401', async () => {
    for (const route of seen.filter((candidate) => candidate.url.startsWith(API_PREFIX))) {
      const response = await host.app.inject({
        method: route.method as 'GET',
        url: concrete(route.url),
        payload: bodyFor(route.method),
      });
      expect({ route, status: response.statusCode }).toEqual({ route, status: 401 });
      expect(ErrorBodySchema.parse(response.json()).error.code).toBe('KAWA_ERR_UNAUTHORIZED');
    }
  });

  it('refuses an unknown token with 401', async () => {
    for (const route of seen.filter((candidate) => candidate.url.startsWith(API_PREFIX))) {
      for (const authorization of ['Bearer kawa_admin_wrong', 'Basic abc', 'Bearer', host.admin.authorization + 'x']) {
        const response = await host.app.inject({
          method: route.method as 'GET',
          url: concrete(route.url),
          headers: { authorization },
          payload: bodyFor(route.method),
        });
        expect({ route, authorization, status: response.statusCode }).toEqual({ route, authorization, status: 401 });
        expect(ErrorBodySchema.parse(response.json()).error.code).toBe('KAWA_ERR_UNAUTHORIZED');
      }
    }
  });

  it('refuses the join token on API routes and an API token on the runner link with 403', async () => {
    for (const route of seen.filter((candidate) => candidate.url.startsWith(API_PREFIX))) {
      const headers = runnerRoutes.has(route.url) ? host.admin : host.join;
      const response = await host.app.inject({
        method: route.method as 'GET',
        url: concrete(route.url),
        headers,
        payload: bodyFor(route.method),
      });
      expect({ route, status: response.statusCode }).toEqual({ route, status: 403 });
      expect(ErrorBodySchema.parse(response.json()).error.code).toBe('KAWA_ERR_FORBIDDEN');
    }
  });

  it('refuses the runner-link upgrade itself without the join token', async () => {
    await expect(host.app.injectWS(RUNNER_LINK_PATH, { headers: {} })).rejects.toThrow(/401/);
    await expect(host.app.injectWS(RUNNER_LINK_PATH, { headers: host.admin })).rejects.toThrow(/403/);
  });

  it('tells the admin who they are', async () => {
    const response = await host.app.inject({ method: 'GET', url: `${API_PREFIX}/whoami`, headers: host.admin });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ user: 'admin', admin: true });
  });
});
