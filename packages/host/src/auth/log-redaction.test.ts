import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WS_SUBPROTOCOL, buildPath, eventStreamRoute, routes } from '@kawa/protocol';
import { FakeRunner, testResources } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

/** Everything the host logs, as text. */
function capture(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('tokens never reach the host log', () => {
  let host: TestHost;
  let log: ReturnType<typeof capture>;
  beforeEach(() => {
    log = capture();
    host = createTestHost({ logLevel: 'trace', logStream: log.stream });
    // A debugging hook that logs every request's headers, the worst case redaction must cover.
    host.app.addHook('onRequest', (request, _reply, done) => {
      request.log.trace({ headers: request.headers, req: { headers: request.headers } }, 'request headers');
      done();
    });
  });
  afterEach(() => host.close());

  it('at trace level, over REST, WebSockets and the runner link, with good and bad tokens', async () => {
    const { http, ws } = await listen(host);
    const bad = 'kawa_user_thisIsNotAValidTokenButStillASecret000000000';
    const created = await fetch(`${http}${routes.createUser.path}`, {
      method: 'POST',
      headers: { authorization: host.admin.authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice' }),
    });
    const alice = ((await created.json()) as { secret: string }).secret;
    for (const authorization of [host.admin.authorization, `Bearer ${alice}`, `Bearer ${bad}`]) {
      await fetch(`${http}${routes.listTasks.path}`, { headers: { authorization } });
      await fetch(`${http}${buildPath(routes.getTask.path, { id: 99 })}`, { headers: { authorization } });
      await fetch(`${http}${routes.submitTasks.path}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: '{"command": ',
      });
    }
    for (const token of [alice, bad]) {
      const socket = new WebSocket(`${ws}${eventStreamRoute.path}`, [WS_SUBPROTOCOL, `kawa.token.${token}`]);
      await new Promise<void>((resolve) => {
        socket.once('message', () => resolve());
        socket.once('error', () => resolve());
      });
      socket.close();
    }
    const runner = await FakeRunner.connect(ws, host.tokens.joinToken);
    await runner.hello('node1', testResources());
    await runner.close();
    await host.app.close();

    const text = log.text();
    expect(text).toContain('request headers');
    expect(text).toContain('[redacted]');
    for (const secret of [host.tokens.adminToken, host.tokens.joinToken, alice, bad]) {
      expect(text).not.toContain(secret);
      // Not even the random part on its own.
      expect(text).not.toContain(secret.slice(-30));
    }
  });
});
