import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ApiTokenSchema,
  AuditEntrySchema,
  ErrorBodySchema,
  NewTokenResponseSchema,
  UserSchema,
  WS_SUBPROTOCOL,
  buildPath,
  eventStreamRoute,
  routes,
} from '@kawa/protocol';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

type Method = 'GET' | 'POST' | 'DELETE';

describe('users, tokens and the audit log', () => {
  let host: TestHost;
  beforeEach(() => {
    host = createTestHost();
  });
  afterEach(() => host.close());

  const call = async (method: Method, url: string, authorization: string, payload?: unknown) => {
    const response = await host.app.inject({
      method,
      url,
      headers: { authorization },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: response.statusCode, body: response.json<unknown>() };
  };
  const codeOf = (body: unknown): string => ErrorBodySchema.parse(body).error.code;
  const addUser = async (name: string, admin = false) => {
    const answer = await call('POST', routes.createUser.path, host.admin.authorization, { name, admin });
    expect(answer.status).toBe(201);
    return NewTokenResponseSchema.parse(answer.body);
  };

  it('adds a user whose token is stored only as a hash and works at once', async () => {
    const alice = await addUser('alice');
    expect(alice.user).toMatchObject({ name: 'alice', admin: false, activeTokens: 1 });
    expect(alice.secret).toMatch(/^kawa_user_[A-Za-z0-9_-]{43}$/);
    expect(alice.secret.startsWith(alice.token.prefix)).toBe(true);
    const stored = host.store.db.prepare('SELECT * FROM tokens').all();
    expect(JSON.stringify(stored)).not.toContain(alice.secret);
    expect(JSON.stringify(stored)).not.toContain(alice.secret.slice(alice.token.prefix.length));

    const whoami = await call('GET', routes.whoami.path, `Bearer ${alice.secret}`);
    expect(whoami).toEqual({ status: 200, body: { user: 'alice', admin: false } });
    const users = await call('GET', routes.listUsers.path, host.admin.authorization);
    expect((users.body as { users: unknown[] }).users.map((user) => UserSchema.parse(user).name).sort()).toEqual([
      'admin',
      'alice',
    ]);
  });

  it('refuses a duplicate name (409), a bad or reserved name (400) and an unknown user (404), with codes', async () => {
    await addUser('alice');
    const duplicate = await call('POST', routes.createUser.path, host.admin.authorization, { name: 'alice' });
    expect([duplicate.status, codeOf(duplicate.body)]).toEqual([409, 'KAWA_ERR_USER_EXISTS']);
    for (const name of ['Alice', '1x', '', 'a'.repeat(33), 'runner', 'a b', '../x']) {
      const bad = await call('POST', routes.createUser.path, host.admin.authorization, { name });
      expect([name, bad.status, codeOf(bad.body)]).toEqual([name, 400, 'KAWA_ERR_BAD_REQUEST']);
    }
    const unknown = await call('POST', buildPath(routes.createToken.path, { name: 'bob' }), host.admin.authorization);
    expect([unknown.status, codeOf(unknown.body)]).toEqual([404, 'KAWA_ERR_USER_NOT_FOUND']);
    const noToken = await call('POST', buildPath(routes.revokeToken.path, { id: 999 }), host.admin.authorization);
    expect([noToken.status, codeOf(noToken.body)]).toEqual([404, 'KAWA_ERR_TOKEN_NOT_FOUND']);
  });

  it('keeps user, token and audit routes for admins', async () => {
    const alice = await addUser('alice');
    for (const [method, url] of [
      ['GET', routes.listUsers.path],
      ['POST', routes.createUser.path],
      ['GET', routes.listTokens.path],
      ['POST', buildPath(routes.revokeToken.path, { id: alice.token.id })],
      ['GET', routes.listAudit.path],
    ] as const) {
      const answer = await call(method, url, `Bearer ${alice.secret}`, method === 'POST' ? { name: 'eve' } : undefined);
      expect([url, answer.status, codeOf(answer.body)]).toEqual([url, 403, 'KAWA_ERR_FORBIDDEN']);
    }
    // A second admin may do what the first does.
    const root = await addUser('root', true);
    expect((await call('GET', routes.listUsers.path, `Bearer ${root.secret}`)).status).toBe(200);
  });

  it('refuses a revoked token at once on REST and closes its open WebSocket', async () => {
    const alice = await addUser('alice');
    const second = NewTokenResponseSchema.parse(
      (await call('POST', buildPath(routes.createToken.path, { name: 'alice' }), host.admin.authorization)).body,
    );
    const { ws } = await listen(host);
    const socket = new WebSocket(`${ws}${eventStreamRoute.path}`, [WS_SUBPROTOCOL, `kawa.token.${alice.secret}`]);
    await new Promise((resolve, reject) => {
      socket.once('message', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise((resolve) => socket.once('close', resolve));

    const revoked = await call(
      'POST',
      buildPath(routes.revokeToken.path, { id: alice.token.id }),
      host.admin.authorization,
    );
    expect(revoked.status).toBe(200);
    expect(ApiTokenSchema.parse(revoked.body).revokedAt).not.toBeNull();
    await closed;

    const refused = await call('GET', routes.whoami.path, `Bearer ${alice.secret}`);
    expect([refused.status, codeOf(refused.body)]).toEqual([401, 'KAWA_ERR_UNAUTHORIZED']);
    await expect(
      new Promise((resolve, reject) => {
        const again = new WebSocket(`${ws}${eventStreamRoute.path}`, [WS_SUBPROTOCOL, `kawa.token.${alice.secret}`]);
        again.once('open', resolve);
        again.once('error', reject);
      }),
    ).rejects.toThrow('401');
    // Her other token still works, and the list shows both by prefix only.
    expect((await call('GET', routes.whoami.path, `Bearer ${second.secret}`)).status).toBe(200);
    const listed = await call('GET', `${routes.listTokens.path}?user=alice`, host.admin.authorization);
    const tokens = (listed.body as { tokens: unknown[] }).tokens.map((token) => ApiTokenSchema.parse(token));
    expect(tokens.map((token) => [token.id, token.revokedAt !== null])).toEqual([
      [alice.token.id, true],
      [second.token.id, false],
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(alice.secret);
  });

  it('lets users see and act on their own tasks only; admins on all', async () => {
    const alice = await addUser('alice');
    const bob = await addUser('bob');
    const submit = async (secret: string) => {
      const answer = await call('POST', routes.submitTasks.path, `Bearer ${secret}`, { command: ['true'] });
      expect(answer.status).toBe(201);
      return answer.body as { batchId: number; taskIds: number[] };
    };
    const mine = await submit(alice.secret);
    const theirs = await submit(bob.secret);
    const aliceList = await call('GET', routes.listTasks.path, `Bearer ${alice.secret}`);
    expect((aliceList.body as { tasks: { id: number }[] }).tasks.map((task) => task.id)).toEqual(mine.taskIds);
    const adminList = await call('GET', routes.listTasks.path, host.admin.authorization);
    expect((adminList.body as { total: number }).total).toBe(2);

    const bobTask = theirs.taskIds[0] as number;
    for (const [method, url] of [
      ['GET', buildPath(routes.getTask.path, { id: bobTask })],
      ['GET', buildPath(routes.waitTask.path, { id: bobTask })],
      ['GET', buildPath(routes.taskEvents.path, { id: bobTask })],
      ['GET', buildPath(routes.taskLogs.path, { id: bobTask })],
      ['POST', buildPath(routes.killTask.path, { id: bobTask })],
      ['POST', buildPath(routes.pauseTask.path, { id: bobTask })],
      ['POST', buildPath(routes.resumeTask.path, { id: bobTask })],
      ['POST', buildPath(routes.killBatch.path, { id: theirs.batchId })],
    ] as const) {
      const answer = await call(method, url, `Bearer ${alice.secret}`);
      expect([url, answer.status, codeOf(answer.body)]).toEqual([url, 403, 'KAWA_ERR_FORBIDDEN']);
    }
    const adminKill = await call(
      'POST',
      buildPath(routes.killBatch.path, { id: theirs.batchId }),
      host.admin.authorization,
    );
    expect(adminKill).toEqual({ status: 200, body: { batchId: theirs.batchId, killed: theirs.taskIds } });
  });

  it('records who did what to which target, and how it ended', async () => {
    const alice = await addUser('alice');
    const bob = await addUser('bob');
    const submitted = await call('POST', routes.submitTasks.path, `Bearer ${alice.secret}`, { command: ['true'] });
    const { batchId, taskIds } = submitted.body as { batchId: number; taskIds: number[] };
    await call('POST', buildPath(routes.killTask.path, { id: taskIds[0] as number }), `Bearer ${bob.secret}`);
    await call('POST', buildPath(routes.killBatch.path, { id: batchId }), `Bearer ${alice.secret}`);
    await call('POST', routes.createHostContainer.path, `Bearer ${alice.secret}`, { image: 'x', name: 'env1' });
    await call('POST', buildPath(routes.revokeToken.path, { id: bob.token.id }), host.admin.authorization);

    const all = await call('GET', `${routes.listAudit.path}?limit=50`, host.admin.authorization);
    const entries = (all.body as { entries: unknown[] }).entries.map((entry) => AuditEntrySchema.parse(entry));
    const summary = entries
      .map((entry) => [entry.user, entry.action, entry.target, entry.outcome, entry.code])
      .reverse();
    expect(summary).toEqual([
      ['admin', 'user.add', 'user alice', 'ok', null],
      ['admin', 'user.add', 'user bob', 'ok', null],
      ['alice', 'task.submit', `batch ${batchId}: tasks ${taskIds.join(',')}`, 'ok', null],
      ['bob', 'task.kill', `task ${taskIds[0]}`, 'refused', 'KAWA_ERR_FORBIDDEN'],
      ['alice', 'batch.kill', `batch ${batchId}`, 'ok', null],
      ['admin', 'token.revoke', `token ${bob.token.id}`, 'ok', null],
    ]);
    // Env changes are admin-only: alice's attempt stops at the auth check, before the route runs.
    const onlyAlice = await call('GET', `${routes.listAudit.path}?user=alice&limit=1`, host.admin.authorization);
    expect((onlyAlice.body as { entries: { action: string }[] }).entries.map((entry) => entry.action)).toEqual([
      'batch.kill',
    ]);
  });
});
