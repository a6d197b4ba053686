import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { KawaError } from '@kawa/protocol';
import { createClient } from './client.js';
import { fakeFetch, json, makeTask } from './test-support.js';

const baseUrl = 'http://kawa.test:8000/';

async function rejection(promise: Promise<unknown>): Promise<KawaError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KawaError);
  return error as KawaError;
}

describe('createClient().call', () => {
  it('sends the token and parses the answer with the route schema', async () => {
    const fake = fakeFetch(() => json(makeTask({ id: 7 })));
    const client = createClient({ baseUrl, token: 'secret', fetch: fake.fetch });
    const task = await client.call('getTask', { params: { id: 7 } });
    expect(task.id).toBe(7);
    expect(fake.requests).toEqual([
      expect.objectContaining({ method: 'GET', url: 'http://kawa.test:8000/api/v1/tasks/7', body: undefined }),
    ]);
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer secret');
  });

  it('sends query values as strings', async () => {
    const fake = fakeFetch(() => json({ tasks: [], nextBefore: null, total: 0 }));
    const client = createClient({ baseUrl, token: 't', fetch: fake.fetch });
    await client.call('listTasks', { query: { status: 'running,pending', limit: 5, node: undefined } });
    expect(fake.requests[0]?.url).toBe('http://kawa.test:8000/api/v1/tasks?status=running%2Cpending&limit=5');
  });

  it('sends the submit body as given, as JSON', async () => {
    const fake = fakeFetch(() => json({ batchId: 3, taskIds: [4, 5] }, 201));
    const client = createClient({ baseUrl, token: 't', fetch: fake.fetch });
    const body = { command: ['echo', 'hi'], targets: ['node1', 'node2:0::1'], memory: '4G', cores: 2 };
    expect(await client.call('submitTasks', { body })).toEqual({ batchId: 3, taskIds: [4, 5] });
    expect(fake.requests[0]?.method).toBe('POST');
    expect(fake.requests[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(fake.requests[0]?.body ?? '')).toEqual(body);
  });

  it('gives an action without a body an empty JSON object', async () => {
    const fake = fakeFetch(() => json(makeTask({ status: 'killed' })));
    const client = createClient({ baseUrl, token: 't', fetch: fake.fetch });
    await client.call('killTask', { params: { id: 1 } });
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      body: '{}',
      url: 'http://kawa.test:8000/api/v1/tasks/1/kill',
    });
  });

  it.each([
    [{ command: ['true'], targets: ['node:x'] }, 'KAWA_ERR_BAD_TARGET'],
    [{ command: ['true'], memory: '12Q' }, 'KAWA_ERR_BAD_MEMORY'],
    [{ command: ['true'], cores: -1 }, 'KAWA_ERR_BAD_CORES'],
    [{ command: [] }, 'KAWA_ERR_EMPTY_COMMAND'],
    [{ command: ['true'], env: { 'BAD-NAME': 'x' } }, 'KAWA_ERR_BAD_ENV'],
  ] as const)('refuses bad input %j with %s before sending anything', async (body, code) => {
    const fake = fakeFetch(() => json({ batchId: 1, taskIds: [1] }, 201));
    const client = createClient({ baseUrl, token: 't', fetch: fake.fetch });
    const error = await rejection(client.call('submitTasks', { body: body as never }));
    expect(error.code).toBe(code);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a bad path parameter before sending', async () => {
    const fake = fakeFetch(() => json(makeTask()));
    const client = createClient({ baseUrl, token: 't', fetch: fake.fetch });
    expect((await rejection(client.call('getTask', { params: { id: 'abc' } }))).code).toBe('KAWA_ERR_BAD_REQUEST');
    expect(fake.requests).toHaveLength(0);
  });

  it('turns an error body into a KawaError with its code, message and details', async () => {
    const fake = fakeFetch(() =>
      json({ error: { code: 'KAWA_ERR_TASK_NOT_FOUND', message: 'no task 9', details: { id: 9 } } }, 404),
    );
    const client = createClient({ baseUrl, token: 't', fetch: fake.fetch });
    const error = await rejection(client.call('getTask', { params: { id: 9 } }));
    expect(error).toMatchObject({
      code: 'KAWA_ERR_TASK_NOT_FOUND',
      message: 'no task 9',
      details: { id: 9 },
      status: 404,
    });
  });

  it('codes an answer without a Kawa error body by its status', async () => {
    const client401 = createClient({
      baseUrl,
      token: 't',
      fetch: fakeFetch(() => new Response('nope', { status: 401 })).fetch,
    });
    expect((await rejection(client401.call('listNodes'))).code).toBe('KAWA_ERR_UNAUTHORIZED');
    const client502 = createClient({
      baseUrl,
      token: 't',
      fetch: fakeFetch(() => new Response('<html>bad gateway', { status: 502 })).fetch,
    });
    const error = await rejection(client502.call('listNodes'));
    expect(error.code).toBe('KAWA_ERR_INTERNAL');
    expect(error.message).toMatch(/HTTP 502.*bad gateway/);
  });

  it('refuses an answer the response schema does not allow', async () => {
    const client = createClient({ baseUrl, token: 't', fetch: fakeFetch(() => json({ nodes: 'many' })).fetch });
    const error = await rejection(client.call('listNodes'));
    expect(error.code).toBe('KAWA_ERR_INTERNAL');
    expect(error.message).toMatch(/same Kawa version/);
  });

  it('reports a refused connection as KAWA_ERR_HOST_UNREACHABLE naming the URL and what to do', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));

    const client = createClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't' });
    const error = await rejection(client.call('listNodes'));
    expect(error.code).toBe('KAWA_ERR_HOST_UNREACHABLE');
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('kawa up');
    expect(error.message).toContain('[client] host_url');
  });

  it('rejects with the abort reason, not as unreachable, when the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const client = createClient({ baseUrl, token: 't', fetch: fakeFetch(() => json({ nodes: [] })).fetch });
    await expect(client.call('listNodes', { signal: controller.signal })).rejects.toThrow('stop');
  });
});
