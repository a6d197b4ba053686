import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '@kawa/protocol';
import { createTestHost, type TestHost } from '../testing/test-host.js';

const INDEX = '<!doctype html><title>Kawa</title><div id="app"></div>';

/** A stand-in for packages/web/dist: what Vite writes. */
function fakeDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kawa-web-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log("kawa")');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

describe('the dashboard assets', () => {
  let host: TestHost;
  let dist: string;

  beforeAll(async () => {
    dist = fakeDist();
    host = createTestHost({ webRoot: dist });
    await host.app.ready();
  });
  afterAll(async () => {
    await host.close();
    rmSync(dist, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = {}) => host.app.inject({ method: 'GET', url, headers });

  it('serves index.html at / without a token, revalidated on every load, with a strict CSP', async () => {
    const response = await get('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toBe(INDEX);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers.etag).toBeDefined();
    const again = await get('/', { 'if-none-match': String(response.headers.etag) });
    expect(again.statusCode).toBe(304);
  });

  it('caches hashed assets for a year as immutable', async () => {
    const response = await get('/assets/index-AbC123.js');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('revalidates unhashed files', async () => {
    const response = await get('/favicon.svg');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it.each(['/tasks', '/tasks/12', '/nodes/node1', '/submit'])(
    'answers the client route %s with index.html',
    async (url) => {
      const response = await get(url);
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe(INDEX);
      expect(response.headers['cache-control']).toBe('no-cache');
    },
  );

  it.each(['/missing.png', '/assets/gone-123.js', '/..%2fpackage.json', '/assets/..%2f..%2fetc%2fpasswd'])(
    'answers the missing file %s with a coded 404, not the SPA',
    async (url) => {
      const response = await get(url);
      expect(response.statusCode).toBe(404);
      expect(ErrorBodySchema.parse(response.json()).error.code).toBe('KAWA_ERR_NOT_FOUND');
    },
  );

  it('never answers an /api path with HTML', async () => {
    for (const url of ['/api/v1/nope', '/api/v1', '/api/v1/tasks/1/nothing']) {
      const response = await get(url, { authorization: 'Bearer x' });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 404 });
      expect(ErrorBodySchema.parse(response.json()).error.code).toBe('KAWA_ERR_NOT_FOUND');
    }
    const wrongMethod = await get('/api/v1/tasks/1/kill');
    expect(wrongMethod.statusCode).toBe(405);
  });

  it('still asks for a token on the API', async () => {
    expect((await get('/api/v1/nodes')).statusCode).toBe(401);
  });
});

describe('without built assets', () => {
  it('answers / with 501 and how to build them', async () => {
    const host = createTestHost({ webRoot: join(tmpdir(), 'kawa-no-such-dist') });
    try {
      const response = await host.app.inject({ method: 'GET', url: '/' });
      expect(response.statusCode).toBe(501);
      const body = ErrorBodySchema.parse(response.json());
      expect(body.error.code).toBe('KAWA_ERR_NOT_IMPLEMENTED');
      expect(body.error.message).toMatch(/index\.html is missing; run npm run build/);
    } finally {
      await host.close();
    }
  });
});
