import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type RawData } from 'ws';
import { dialBack } from './dial-back.js';

describe('dialBack', () => {
  let server: WebSocketServer | null = null;
  afterEach(async () => {
    server?.clients.forEach((client) => client.terminate());
    await new Promise((resolve) => server?.close(resolve));
  });

  it('keeps frames the host sends right behind the upgrade until the caller listens (regression)', async () => {
    // The host relays the SSH client's first bytes the moment the runner is connected; they
    // arrive in the same read as the 101 and were emitted before the caller attached its
    // listener, so sshd saw a stream without its identification string.
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server.on('connection', (socket) => socket.send(Buffer.from('SSH-2.0-early\r\n')));
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const socket = await dialBack({
        url: `ws://127.0.0.1:${port}/stream`,
        token: 'join-token',
        timeoutMs: 5_000,
        signal: new AbortController().signal,
      });
      // What a caller does after its await: listen, then resume.
      await Promise.resolve();
      const first = new Promise<string>((resolve) =>
        socket.once('message', (data: RawData) => resolve(Buffer.from(data as Buffer).toString())),
      );
      socket.resume();
      expect(await first).toBe('SSH-2.0-early\r\n');
      socket.close();
    }
  });
});
