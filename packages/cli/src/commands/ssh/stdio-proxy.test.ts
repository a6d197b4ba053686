import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { closeShellServers, fakeTerminal, shellServer, type ShellServer } from '../../socket/test-socket-server.js';
import { collector, runWith } from '../../test-support.js';

afterEach(closeShellServers);

function proxy(
  server: ShellServer,
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

/** Sends the greeting an sshd sends, then echoes every binary frame back. */
function sshdEcho(socket: WebSocket): void {
  socket.send(Buffer.from('SSH-2.0-OpenSSH_9.2p1\r\n'), { binary: true });
  socket.on('message', (data: Buffer, isBinary) => {
    if (isBinary) socket.send(data, { binary: true });
  });
}

describe('kawa ssh --stdio', () => {
  it('pipes bytes both ways unchanged, binary and large, and ends when ssh closes its side', async () => {
    const server = await shellServer(sshdEcho);
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
    const greeting = Buffer.from('SSH-2.0-OpenSSH_9.2p1\r\n');
    expect(output.bytes().equals(Buffer.concat([greeting, payload]))).toBe(true);
    expect(server.requests).toEqual([{ url: '/api/v1/vps/42/ssh', authorization: 'Bearer test-token' }]);
    // stdin is left paused with no listener, so the process can exit.
    expect(fake.stdin.listenerCount('data')).toBe(0);
  });

  it('ends with exit 0 when sshd hangs up (the host closes normally)', async () => {
    const server = await shellServer((socket) => {
      socket.send(Buffer.from('bye'), { binary: true });
      socket.close(1000);
    });
    const run = await proxy(server, fakeTerminal(false, null));
    expect(run).toEqual({ code: 0, stdout: 'bye', stderr: '' });
  });

  it('reports a refused upgrade (no token, not a VPS) with the host’s code, and writes nothing to stdout', async () => {
    const server = await shellServer(
      () => undefined,
      () => ({ status: 400, body: { error: { code: 'KAWA_ERR_NOT_A_VPS', message: 'task 42 is a command task' } } }),
    );
    const run = await proxy(server, fakeTerminal(false, null));
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: task 42 is a command task (KAWA_ERR_NOT_A_VPS)\n' });
  });

  it('reports an error frame, and a close whose reason carries a code, with that code', async () => {
    const framed = await shellServer((socket) => {
      socket.send(JSON.stringify({ type: 'error', code: 'KAWA_ERR_RUNNER_UNAVAILABLE', message: 'node1 is offline' }));
      socket.close(4400);
    });
    expect(await proxy(framed, fakeTerminal(false, null))).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: node1 is offline (KAWA_ERR_RUNNER_UNAVAILABLE)\n',
    });
    const closed = await shellServer((socket) => socket.close(4400, 'KAWA_ERR_INVALID_STATE: VPS 42 is stopped'));
    expect((await proxy(closed, fakeTerminal(false, null))).stderr).toBe(
      'error: VPS 42 is stopped (KAWA_ERR_INVALID_STATE)\n',
    );
  });

  it('reports a connection lost midway as KAWA_ERR_HOST_UNREACHABLE, exit 69', async () => {
    const server = await shellServer((socket) => socket.on('message', () => socket.terminate()));
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
    const server = await shellServer(() => undefined);
    const url = server.hostUrl;
    await closeShellServers();
    const run = await runWith(['ssh', '--stdio', '42'], {
      terminal: fakeTerminal(false, null).terminal,
      env: { KAWA_CLIENT_HOST_URL: url },
    });
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/^error: cannot open an SSH stream on the Kawa host at .*ECONNREFUSED/);
  });
});
