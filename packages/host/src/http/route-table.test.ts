import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KawaError, TarCreateEventSchema, buildPath, routes, type TarCreateEvent } from '@kawa/protocol';
import { AuditLog } from '../audit/audit-log.js';
import { ensureTokens } from '../auth/token-files.js';
import { systemClock } from '../clock.js';
import { AuthService } from '../auth/service.js';
import { openStore, type Store } from '../store/store.js';
import { installErrorHandlers } from './errors.js';
import { registerRouteTable, type RouteHandlers } from './route-table.js';

const progress: TarCreateEvent = { type: 'progress', phase: 'save', doneBytes: 1, totalBytes: 2 };

/** What the stream route does, by env name. */
async function* script(name: string): AsyncGenerator<unknown> {
  // Each event a tick apart, as a real producer's would be.
  await Promise.resolve();
  yield progress;
  switch (name) {
    case 'ok':
      yield { type: 'done', name, tarball: { version: 1, bytes: 2, createdAt: 3, imageId: 'sha256:x' }, removed: [] };
      return;
    case 'fails':
      throw new KawaError('KAWA_ERR_DOCKER_FAILED', 'Docker could not save: disk full');
    case 'bug':
      throw new TypeError('oops');
    case 'outside':
      yield { type: 'surprise' };
      return;
  }
}

/** The NDJSON machinery of stream routes, on a bare app with just the route table. */
describe('stream routes', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let headers: { authorization: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kawa-route-table-'));
    store = openStore(join(dir, 'kawa.db'));
    headers = { authorization: `Bearer ${ensureTokens(join(dir, 'state'), store, Date.now()).adminToken}` };
    const unused = Object.fromEntries(
      Object.keys(routes).map((name) => [
        name,
        () => {
          throw new Error(`${name} is not part of this test`);
        },
      ]),
    ) as unknown as RouteHandlers;
    const handlers: RouteHandlers = {
      ...unused,
      createTarball: ({ params }) => {
        if (params.name === 'refused') throw new KawaError('KAWA_ERR_CONTAINER_NOT_FOUND', 'no such container');
        return script(params.name) as AsyncIterable<TarCreateEvent>;
      },
    };
    app = Fastify({ logger: { level: 'silent' } });
    app.decorateRequest('principal', null);
    installErrorHandlers(app, 1 << 20);
    registerRouteTable(app, handlers, {
      auth: new AuthService(store.tokens),
      audit: new AuditLog(store.audit, systemClock),
      validateResponses: true,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = async (name: string) => {
    const response = await app.inject({ method: 'POST', url: buildPath(routes.createTarball.path, { name }), headers });
    const lines = (): TarCreateEvent[] =>
      response.body
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => TarCreateEventSchema.parse(JSON.parse(line)));
    return { response, lines };
  };

  it('writes each event as one JSON line of application/x-ndjson', async () => {
    const { response, lines } = await create('ok');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(lines().map((line) => line.type)).toEqual(['progress', 'done']);
  });

  it('ends a stream that fails with one error line carrying the code', async () => {
    const { response, lines } = await create('fails');
    expect(response.statusCode).toBe(200);
    expect(lines()).toEqual([
      progress,
      { type: 'error', error: { code: 'KAWA_ERR_DOCKER_FAILED', message: 'Docker could not save: disk full' } },
    ]);
  });

  it('turns a bug, or an event outside the schema, into an internal error line', async () => {
    for (const name of ['bug', 'outside']) {
      const { lines } = await create(name);
      expect(lines().at(-1)).toMatchObject({ type: 'error', error: { code: 'KAWA_ERR_INTERNAL' } });
      expect(lines()).toHaveLength(2);
    }
  });

  it('audits a stream route when it ends: done, failed midway with its code, or refused before it began', async () => {
    const before = store.audit.list(1)[0]?.id ?? 0;
    for (const name of ['ok', 'fails', 'refused']) await create(name);
    const entries = store.audit
      .list(10)
      .filter((entry) => entry.id > before)
      .reverse();
    expect(entries.map((entry) => [entry.action, entry.target, entry.outcome, entry.code])).toEqual([
      ['env.tar.create', 'env ok', 'ok', null],
      ['env.tar.create', 'env fails', 'failed', 'KAWA_ERR_DOCKER_FAILED'],
      ['env.tar.create', 'env refused', 'refused', 'KAWA_ERR_CONTAINER_NOT_FOUND'],
    ]);
  });

  it('answers an error thrown before the stream as plain JSON with its status', async () => {
    const { response } = await create('refused');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ error: { code: 'KAWA_ERR_CONTAINER_NOT_FOUND', message: 'no such container' } });
  });
});
