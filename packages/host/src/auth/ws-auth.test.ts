import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WS_SUBPROTOCOL, eventStreamRoute, routes, tokenFromSubprotocols } from '@kawa/protocol';
import { TestStream } from '../events/test-stream.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

describe('WebSocket auth by subprotocol', () => {
  let host: TestHost;
  let ws: string;
  let http: string;

  beforeEach(async () => {
    host = createTestHost();
    ({ ws, http } = await listen(host));
  });
  afterEach(() => host.close());

  it('accepts the token as a subprotocol and echoes only kawa.v1', async () => {
    const stream = await TestStream.withToken(ws, host.tokens.adminToken);
    expect(stream.socket.protocol).toBe(WS_SUBPROTOCOL);
    expect((await stream.waitFor('snapshot')).nodes).toEqual([]);
    await stream.close();
  });

  it('refuses an unknown token with 401 before the upgrade', async () => {
    await expect(TestStream.withToken(ws, 'kawa_admin_wrong')).rejects.toThrow('HTTP 401');
  });

  it('refuses the join token with 403', async () => {
    await expect(TestStream.withToken(ws, host.tokens.joinToken)).rejects.toThrow('HTTP 403');
  });

  it('never reads a token from the query', async () => {
    const token = encodeURIComponent(host.tokens.adminToken);
    for (const query of [`?token=${token}`, `?access_token=${token}`, `?authorization=Bearer%20${token}`]) {
      await expect(TestStream.open(ws, [WS_SUBPROTOCOL], `${eventStreamRoute.path}${query}`)).rejects.toThrow(
        'HTTP 401',
      );
    }
  });

  it('refuses a token offered first, where the server would echo it', async () => {
    await expect(TestStream.open(ws, [`kawa.token.${host.tokens.adminToken}`, WS_SUBPROTOCOL])).rejects.toThrow(
      'HTTP 401',
    );
  });

  it('does not take a subprotocol token on plain HTTP requests', async () => {
    const response = await fetch(`${http}${routes.listNodes.path}`, {
      headers: { 'sec-websocket-protocol': `${WS_SUBPROTOCOL}, kawa.token.${host.tokens.adminToken}` },
    });
    expect(response.status).toBe(401);
  });

  it('prefers the Authorization header when both are sent', async () => {
    const response = await host.app.inject({
      method: 'GET',
      url: routes.whoami.path,
      headers: {
        authorization: 'Bearer kawa_admin_wrong',
        upgrade: 'websocket',
        'sec-websocket-protocol': `${WS_SUBPROTOCOL}, kawa.token.${host.tokens.adminToken}`,
      },
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('tokenFromSubprotocols', () => {
  it.each([
    ['kawa.v1, kawa.token.abc', 'abc'],
    ['kawa.v1,kawa.token.abc', 'abc'],
    [undefined, null],
    ['kawa.v1', null],
    ['kawa.v1, kawa.token.', null],
    ['kawa.token.abc, kawa.v1', null],
    ['kawa.v1, kawa.token.abc, other', null],
    ['other, kawa.token.abc', null],
  ])('%s gives %s', (header, token) => {
    expect(tokenFromSubprotocols(header)).toBe(token);
  });
});
