import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createLogger } from '../logger.js';
import { recordStream } from '../testing/stream-recorder.js';
import { waitFor } from '../testing/wait-for.js';
import { connectSshd, pipeSsh } from './ssh-pipe.js';

/**
 * The ssh pipe between two loopback ends that stand in for sshd (a TCP server) and the host
 * (a WebSocket server), so each side's close can be watched from the other.
 */
let cleanUps: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanUp of cleanUps.reverse()) await cleanUp();
  cleanUps = [];
});

async function listening<T extends Server | WebSocketServer>(server: T, port: () => number): Promise<number> {
  if (server instanceof WebSocketServer) await once(server, 'listening');
  else await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return port();
}

async function pipePair() {
  const sshd = createServer();
  const sshdSide = new Promise<Socket>((resolve) => sshd.once('connection', resolve));
  const sshdPort = await listening(sshd, () => (sshd.address() as AddressInfo).port);
  const hostServer = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const hostSide = new Promise<WebSocket>((resolve) => hostServer.once('connection', resolve));
  const hostPort = await listening(hostServer, () => (hostServer.address() as AddressInfo).port);
  cleanUps.push(
    () => new Promise<void>((resolve) => sshd.close(() => resolve())),
    () => {
      for (const client of hostServer.clients) client.terminate();
      hostServer.close();
    },
  );

  const tcp = await connectSshd([{ host: '127.0.0.1', port: sshdPort }]);
  const runnerSocket = new WebSocket(`ws://127.0.0.1:${hostPort}`);
  await once(runnerSocket, 'open');
  pipeSsh(runnerSocket, tcp, createLogger('silent'));
  const host = await hostSide;
  const recorder = recordStream(host);
  const sshdSocket = await sshdSide;
  return { host, recorder, sshdSocket, tcp };
}

describe('ssh pipe', () => {
  it('carries bytes both ways and closes the stream with 1000 when sshd closes', async () => {
    const { host, recorder, sshdSocket } = await pipePair();
    const fromHost: Buffer[] = [];
    sshdSocket.on('data', (chunk: Buffer) => fromHost.push(chunk));
    sshdSocket.write('SSH-2.0-Test\r\n');
    await recorder.until('SSH-2.0-Test\r\n');
    host.send(Buffer.from('client hello'), { binary: true });
    await waitFor(() => Buffer.concat(fromHost).toString() === 'client hello', 'the bytes at sshd');
    sshdSocket.end();
    expect(await recorder.closed).toEqual({ code: 1000, reason: 'sshd closed the connection' });
  });

  it('ends the TCP connection when the host closes the stream', async () => {
    const { host, sshdSocket } = await pipePair();
    const ended = once(sshdSocket, 'end');
    host.close(1000, 'client left');
    await ended;
    expect(sshdSocket.readableEnded).toBe(true);
  });

  it('refuses a closed port with KAWA_ERR_INVALID_STATE before any stream exists', async () => {
    const server = createServer();
    const port = await listening(server, () => (server.address() as AddressInfo).port);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(connectSshd([{ host: '127.0.0.1', port }])).rejects.toMatchObject({
      code: 'KAWA_ERR_INVALID_STATE',
      message: expect.stringMatching(/sshd of the VPS does not accept connections: .*ECONNREFUSED/) as string,
    });
  });

  it('falls back to the next endpoint when the first refuses, and names every failure when none accepts', async () => {
    const closed = createServer();
    const closedPort = await listening(closed, () => (closed.address() as AddressInfo).port);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const open = createServer((socket) => {
      socket.on('error', () => {}); // the test drops its end at once
      socket.end('SSH-2.0-Fallback\r\n');
    });
    const openPort = await listening(open, () => (open.address() as AddressInfo).port);
    cleanUps.push(() => new Promise<void>((resolve) => open.close(() => resolve())));

    const tcp = await connectSshd([
      { host: '127.0.0.2', port: closedPort },
      { host: '127.0.0.1', port: openPort },
    ]);
    expect(tcp.remotePort).toBe(openPort);
    tcp.destroy();

    await expect(connectSshd([])).rejects.toMatchObject({
      message: expect.stringContaining('it has no address or published port') as string,
    });
    await expect(
      connectSshd([
        { host: '127.0.0.2', port: closedPort },
        { host: '127.0.0.1', port: closedPort },
      ]),
    ).rejects.toMatchObject({
      code: 'KAWA_ERR_INVALID_STATE',
      message: expect.stringMatching(/127\.0\.0\.2:\d+: .*ECONNREFUSED.*; 127\.0\.0\.1:\d+: .*ECONNREFUSED/) as string,
    });
  });
});
