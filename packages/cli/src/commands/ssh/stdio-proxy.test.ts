import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeTerminal } from '../../socket/test-socket-server.js';
import { collector, runWith } from '../../test-support.js';

/**
 * A loopback stand-in for the host's vpsSsh route with `Upgrade: kawa-ssh`: `refuse` answers
 * with a coded HTTP error instead; otherwise it switches and gives the socket to `onStream`.
 */
interface RawServer {
  hostUrl: string;
  requests: { url: string | undefined; authorization: string | undefined; upgrade: string | undefined }[];
  input(): Buffer;
  until(check: (input: Buffer) => boolean): Promise<void>;
}

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function rawServer(
  onStream: (socket: Socket) => void,
  refuse?: () => { status: number; body: unknown },
  greeting = '',
): Promise<RawServer> {
  const requests: RawServer['requests'] = [];
  const input: Buffer[] = [];
  const server = createServer((_request, response) => response.writeHead(426).end());
  server.on('upgrade', (request: IncomingMessage, socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    requests.push({ url: request.url, authorization: request.headers.authorization, upgrade: request.headers.upgrade });
    const refusal = refuse?.();
    if (refusal) {
      const body = JSON.stringify(refusal.body);
      socket.end(
        `HTTP/1.1 ${refusal.status} No\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    socket.on('data', (chunk: Buffer) => input.push(chunk));
    // The greeting rides in the same write as the 101: the proxy must pass on what follows it.
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: kawa-ssh\r\n\r\n${greeting}`);
    onStream(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return {
    hostUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    input: () => Buffer.concat(input),
    async until(check) {
      const deadline = Date.now() + 10_000;
      while (!check(Buffer.concat(input))) {
        if (Date.now() > deadline) throw new Error('the server did not get the input within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

function proxy(
  server: RawServer,
  fake: ReturnType<typeof fakeTerminal>,
  id = '42',
  stdout?: ReturnType<typeof collector>,
) {
  return runWith(['ssh', '--stdio', id], {
    terminal: fake.terminal,
    env: { KAWA_CLIENT_HOST_URL: server.hostUrl },
    ...(stdout ? { stdout } : {}),
  });
}

const echo = (socket: Socket): void => {
  socket.on('data', (chunk: Buffer) => socket.write(chunk));
  socket.on('end', () => socket.end());
};

describe('kawa ssh --stdio', () => {
  it('pipes bytes both ways unchanged, large, after the upgrade, and ends when ssh closes its side', async () => {
    const greeting = 'SSH-2.0-OpenSSH_9.2p1\r\n';
    const server = await rawServer(echo, undefined, greeting);
    const fake = fakeTerminal(false, null);
    const output = collector();
    const running = proxy(server, fake, 'kawa-42', output);
    // 3 MiB of random bytes in 64 KiB writes, as ssh writes an scp: more than the socket buffers.
    const payload = randomBytes(3 << 20);
    for (let offset = 0; offset < payload.length; offset += 1 << 16)
      fake.stdin.write(payload.subarray(offset, offset + (1 << 16)));
    await server.until((input) => input.length >= payload.length);
    fake.stdin.end();
    const run = await running;
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(server.input().equals(payload)).toBe(true);
    expect(output.bytes().equals(Buffer.concat([Buffer.from(greeting), payload]))).toBe(true);
    expect(server.requests).toEqual([
      { url: '/api/v1/vps/42/ssh', authorization: 'Bearer test-token', upgrade: 'kawa-ssh' },
    ]);
    // stdin is left paused with no listener, so the process can exit.
    expect(fake.stdin.listenerCount('data')).toBe(0);
  });

  it('ends with exit 0 when sshd hangs up (the host closes normally)', async () => {
    const server = await rawServer((socket) => socket.end('bye'));
    const run = await proxy(server, fakeTerminal(false, null));
    expect(run).toEqual({ code: 0, stdout: 'bye', stderr: '' });
  });

  it('reports a refused upgrade (no token, not a VPS) with the host’s code, and writes nothing to stdout', async () => {
    const server = await rawServer(
      () => undefined,
      () => ({ status: 400, body: { error: { code: 'KAWA_ERR_NOT_A_VPS', message: 'task 42 is a command task' } } }),
    );
    const run = await proxy(server, fakeTerminal(false, null));
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: task 42 is a command task (KAWA_ERR_NOT_A_VPS)\n' });
  });

  it('reports a connection broken midway as KAWA_ERR_HOST_UNREACHABLE, exit 69', async () => {
    const server = await rawServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const fake = fakeTerminal(false, null);
    const running = proxy(server, fake);
    fake.stdin.write('SSH-2.0-OpenSSH_9.2p1\r\n');
    const run = await running;
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(
      /^error: cannot keep an SSH stream open on the Kawa host at .*\(KAWA_ERR_HOST_UNREACHABLE\)\n$/,
    );
  });

  it('reports a host that is not there as unreachable, exit 69', async () => {
    const server = await rawServer(() => undefined);
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    const run = await runWith(['ssh', '--stdio', '42'], {
      terminal: fakeTerminal(false, null).terminal,
      env: { KAWA_CLIENT_HOST_URL: server.hostUrl },
    });
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/^error: cannot open an SSH stream on the Kawa host at .*ECONNREFUSED/);
  });
});

/** `kawa ssh --fdpass 42` with a passSocket that keeps what it is given. */
async function fdpass(server: RawServer) {
  const handed: Socket[] = [];
  const run = await runWith(['ssh', '--fdpass', '42'], {
    env: { KAWA_CLIENT_HOST_URL: server.hostUrl },
    passSocket: (socket) => {
      handed.push(socket);
      return Promise.resolve();
    },
  });
  return { run, handed };
}

describe('kawa ssh --fdpass', () => {
  it('hands over the upgraded connection itself, with nothing read from it', async () => {
    const server = await rawServer(echo);
    const { run, handed } = await fdpass(server);
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(server.requests).toMatchObject([{ upgrade: 'kawa-ssh', authorization: 'Bearer test-token' }]);
    // ssh's side now: what goes in reaches the host, and its answer comes back.
    const socket = handed[0] as Socket;
    sockets.add(socket);
    const back: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => back.push(chunk));
    socket.write('SSH-2.0-client\r\n');
    await server.until((input) => input.toString() === 'SSH-2.0-client\r\n');
    const deadline = Date.now() + 5_000;
    while (Buffer.concat(back).length < 16 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(Buffer.concat(back).toString()).toBe('SSH-2.0-client\r\n');
  });

  it('refuses to run without ssh’s channel, for a TLS host, or together with --stdio', async () => {
    const server = await rawServer(echo);
    const noChannel = await runWith(['ssh', '--fdpass', '42'], { env: { KAWA_CLIENT_HOST_URL: server.hostUrl } });
    expect(noChannel.code).toBe(2);
    expect(noChannel.stderr).toMatch(/--fdpass is for ssh: ProxyUseFdpass=yes .*\(KAWA_ERR_USAGE\)/);
    const tls = await runWith(['ssh', '--fdpass', '42'], {
      env: { KAWA_CLIENT_HOST_URL: 'https://127.0.0.1:1' },
      passSocket: () => Promise.reject(new Error('not to be called')),
    });
    expect(tls.code).toBe(2);
    expect(tls.stderr).toMatch(/takes TLS: use --stdio \(KAWA_ERR_USAGE\)/);
    const both = await runWith(['ssh', '--fdpass', '--stdio', '42'], { env: { KAWA_CLIENT_HOST_URL: server.hostUrl } });
    expect(both.code).toBe(2);
    // Nothing reached the host.
    expect(server.requests).toEqual([]);
  });

  it('reports a refused upgrade with the host’s code and hands nothing over', async () => {
    const server = await rawServer(
      () => undefined,
      () => ({ status: 409, body: { error: { code: 'KAWA_ERR_INVALID_STATE', message: 'VPS 42 is paused' } } }),
    );
    const { run, handed } = await fdpass(server);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: VPS 42 is paused (KAWA_ERR_INVALID_STATE)\n' });
    expect(handed).toEqual([]);
  });
});
