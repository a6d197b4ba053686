import type { InjectOptions } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_PREFIX, ErrorBodySchema, type ErrorCode } from '@kawa/protocol';
import { createTestHost, type TestHost } from '../testing/test-host.js';

const TASKS = `${API_PREFIX}/tasks`;

describe('HTTP edges', () => {
  let host: TestHost;
  beforeEach(() => {
    host = createTestHost({ config: { max_body_bytes: 2048 } });
  });
  afterEach(() => host.close());

  async function expectError(request: InjectOptions, status: number, code: ErrorCode): Promise<void> {
    const response = await host.app.inject(request);
    expect({ status: response.statusCode, body: response.body }).toMatchObject({ status });
    expect(ErrorBodySchema.parse(response.json()).error.code).toBe(code);
  }

  it('answers a body that is not JSON with 400 KAWA_ERR_BAD_JSON', async () => {
    await expectError(
      {
        method: 'POST',
        url: TASKS,
        headers: { ...host.admin, 'content-type': 'application/json' },
        payload: '{"command": [',
      },
      400,
      'KAWA_ERR_BAD_JSON',
    );
  });

  it('answers a non-JSON content type with 415', async () => {
    await expectError(
      { method: 'POST', url: TASKS, headers: { ...host.admin, 'content-type': 'text/plain' }, payload: 'echo hi' },
      415,
      'KAWA_ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    await expectError(
      { method: 'POST', url: TASKS, headers: { ...host.admin }, payload: Buffer.from('x') },
      415,
      'KAWA_ERR_UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('answers a body over host.max_body_bytes with 413', async () => {
    await expectError(
      { method: 'POST', url: TASKS, headers: host.admin, payload: { command: ['echo', 'x'.repeat(4096)] } },
      413,
      'KAWA_ERR_PAYLOAD_TOO_LARGE',
    );
  });

  it('answers an unknown route with 404 and a wrong method with 405', async () => {
    await expectError({ method: 'GET', url: `${API_PREFIX}/nope`, headers: host.admin }, 404, 'KAWA_ERR_NOT_FOUND');
    await expectError({ method: 'GET', url: '/nope' }, 404, 'KAWA_ERR_NOT_FOUND');
    await expectError({ method: 'DELETE', url: `${TASKS}/1`, headers: host.admin }, 405, 'KAWA_ERR_METHOD_NOT_ALLOWED');
  });

  it('answers malformed URLs and headers with a 4xx, never a 5xx', async () => {
    const requests: (InjectOptions & { url: string; payload?: string })[] = [
      { method: 'GET', url: `${TASKS}/%zz`, headers: host.admin },
      { method: 'GET', url: `${TASKS}?status=`, headers: host.admin },
      { method: 'GET', url: `${TASKS}?limit=abc`, headers: host.admin },
      { method: 'GET', url: `${API_PREFIX}/nodes/${'n'.repeat(200)}`, headers: host.admin },
      { method: 'POST', url: TASKS, headers: { ...host.admin, 'content-type': 'application/json' }, payload: 'null' },
      {
        method: 'POST',
        url: TASKS,
        headers: { ...host.admin, 'content-type': 'application/json' },
        payload: '{"command":["x"],"cores":1e999}',
      },
      {
        method: 'POST',
        url: TASKS,
        headers: { ...host.admin, 'content-type': 'application/json' },
        payload: '{"__proto__":{"admin":true},"command":["x"]}',
      },
      {
        method: 'POST',
        url: TASKS,
        headers: { ...host.admin, 'content-type': 'application/json; charset=latin1' },
        payload: '{',
      },
      { method: 'POST', url: TASKS, headers: { ...host.admin, 'content-type': 'application/json' }, payload: '' },
    ];
    for (const request of requests) {
      const response = await host.app.inject(request);
      expect(response.statusCode, `${request.url} ${request.payload ?? ''}`).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, `${request.url} ${request.payload ?? ''}`).toBeLessThan(500);
      ErrorBodySchema.parse(response.json());
    }
  });

  it('refuses a query on a route that takes none (regression: fuzz found it silently ignored)', async () => {
    await expectError(
      { method: 'GET', url: `${API_PREFIX}/nodes?limit=5`, headers: host.admin },
      400,
      'KAWA_ERR_BAD_REQUEST',
    );
    await expectError(
      { method: 'POST', url: `${API_PREFIX}/tasks/1/kill?force=1`, headers: host.admin },
      400,
      'KAWA_ERR_BAD_REQUEST',
    );
    expect((await host.app.inject({ method: 'GET', url: `${API_PREFIX}/nodes`, headers: host.admin })).statusCode).toBe(
      200,
    );
  });

  it('says the dashboard is not built yet at /', async () => {
    await expectError({ method: 'GET', url: '/' }, 501, 'KAWA_ERR_NOT_IMPLEMENTED');
  });

  it('refuses a plain GET on the runner link', async () => {
    await expectError(
      { method: 'GET', url: `${API_PREFIX}/runner-link`, headers: host.join },
      400,
      'KAWA_ERR_BAD_REQUEST',
    );
  });
});
