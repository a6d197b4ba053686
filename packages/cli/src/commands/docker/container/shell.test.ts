import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { closeShellServers, fakeTerminal, shellServer, type ShellServer } from '../../../socket/test-socket-server.js';
import { runWith } from '../../../test-support.js';

afterEach(closeShellServers);

/** Echoes input, as a TTY does, and ends with exit code 3 once it reads "exit\r". */
function echoUntilExit(socket: WebSocket, server: ShellServer): void {
  socket.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) return;
    socket.send(data, { binary: true });
    if (server.input().includes('exit\r')) {
      socket.send(JSON.stringify({ type: 'exit', exitCode: 3 }));
      socket.close(1000, 'exited');
    }
  });
}

function shell(server: ShellServer, fake: ReturnType<typeof fakeTerminal>, args: string[] = []) {
  return runWith(['docker', 'container', 'shell', 'py', ...args], {
    terminal: fake.terminal,
    env: { KAWA_CLIENT_HOST_URL: server.hostUrl },
  });
}

describe('kawa docker container shell', () => {
  it('pipes raw keys and output, sends resizes, and exits with the shell’s exit code', async () => {
    const server = await shellServer(echoUntilExit);
    const fake = fakeTerminal(true, { cols: 100, rows: 30 });
    const running = shell(server, fake);
    fake.stdin.write('ls\r');
    await server.until((input) => input.includes('ls\r'));
    fake.resizeTo({ cols: 120, rows: 40 });
    // Ctrl-C in raw mode is a byte for the remote shell, not a signal for the CLI.
    fake.stdin.write(Buffer.from([0x03]));
    fake.stdin.write('exit\r');
    const run = await running;
    expect(run).toEqual({ code: 3, stdout: 'ls\r\u0003exit\r', stderr: '' });
    expect(server.input().toString()).toBe('ls\r\u0003exit\r');
    expect(server.frames).toEqual([{ type: 'resize', cols: 120, rows: 40 }]);
    expect(server.requests).toEqual([
      { url: '/api/v1/docker/containers/py/shell?cols=100&rows=30', authorization: 'Bearer test-token' },
    ]);
    // Raw mode on for the session, off again at its end; no listener is left behind.
    expect(fake.rawModes).toEqual([true, false]);
    expect(fake.listening()).toEqual({ resize: false, signal: false });
  });

  it('sends piped stdin as it is, its end as Ctrl-D, with no raw mode and no resize', async () => {
    const server = await shellServer((socket) => {
      socket.on('message', (data: Buffer) => {
        if (!data.includes(0x04)) return;
        socket.send(Buffer.from('hi\r\n'), { binary: true });
        socket.send(JSON.stringify({ type: 'exit', exitCode: 0 }));
        socket.close(1000);
      });
    });
    const fake = fakeTerminal(false, null);
    const running = shell(server, fake, ['--', 'sh', '-c', 'read line; echo hi']);
    fake.stdin.end('x\n');
    const run = await running;
    expect(run).toEqual({ code: 0, stdout: 'hi\r\n', stderr: '' });
    expect([...server.input()]).toEqual([...Buffer.from('x\n'), 0x04]);
    const query = new URL(server.requests[0]?.url ?? '', 'http://h').searchParams;
    expect(Object.fromEntries(query)).toEqual({ command: '["sh","-c","read line; echo hi"]' });
    expect(server.frames).toEqual([]);
    expect(fake.rawModes).toEqual([]);
  });

  it('prints the host’s error frame with its code and the next step, exit 1, terminal restored', async () => {
    const server = await shellServer((socket) => {
      socket.send(
        JSON.stringify({ type: 'error', code: 'KAWA_ERR_CONTAINER_NOT_RUNNING', message: 'kawa-env-py is exited' }),
      );
      socket.close(4400, 'kawa-env-py is exited');
    });
    const fake = fakeTerminal(true, { cols: 80, rows: 24 });
    const run = await shell(server, fake);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: kawa-env-py is exited; start it first: kawa docker container start py (KAWA_ERR_CONTAINER_NOT_RUNNING)\n',
    });
    expect(fake.rawModes.at(-1) ?? false).toBe(false);
  });

  it('reports an unknown container as KAWA_ERR_CONTAINER_NOT_FOUND', async () => {
    const server = await shellServer((socket) => {
      socket.send(
        JSON.stringify({
          type: 'error',
          code: 'KAWA_ERR_CONTAINER_NOT_FOUND',
          message: 'env "py" has no host container kawa-env-py: create it with kawa docker container create IMAGE py',
        }),
      );
      socket.close(4400);
    });
    const run = await shell(server, fakeTerminal(false, null));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: env "py" has no host container kawa-env-py: create it with kawa docker container create IMAGE py ' +
        '(KAWA_ERR_CONTAINER_NOT_FOUND)\n',
    );
  });

  it('reports a refused upgrade with the host’s error body and never enters raw mode', async () => {
    const server = await shellServer(
      () => undefined,
      () => ({ status: 401, body: { error: { code: 'KAWA_ERR_UNAUTHORIZED', message: 'unknown API token' } } }),
    );
    const fake = fakeTerminal(true, { cols: 80, rows: 24 });
    expect(await shell(server, fake)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: unknown API token (KAWA_ERR_UNAUTHORIZED)\n',
    });
    expect(fake.rawModes).toEqual([]);
  });

  it('ends on SIGTERM with 143 and restores the terminal', async () => {
    const server = await shellServer(() => undefined);
    const fake = fakeTerminal(true, { cols: 80, rows: 24 });
    const running = shell(server, fake);
    fake.stdin.write('sleep 100\r');
    await server.until((input) => input.length > 0);
    fake.signal('SIGTERM');
    expect((await running).code).toBe(143);
    expect(fake.rawModes).toEqual([true, false]);
  });

  it('reports a connection lost midway as KAWA_ERR_HOST_UNREACHABLE, exit 69, terminal restored', async () => {
    const server = await shellServer((socket) => {
      socket.on('message', () => socket.terminate());
    });
    const fake = fakeTerminal(true, { cols: 80, rows: 24 });
    const running = shell(server, fake);
    fake.stdin.write('x');
    const run = await running;
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(
      /^error: cannot keep a terminal open on the Kawa host at .*\(KAWA_ERR_HOST_UNREACHABLE\)\n$/,
    );
    expect(fake.rawModes).toEqual([true, false]);
  });

  it('refuses a bad env name before connecting, exit 2', async () => {
    const server = await shellServer(() => undefined);
    const fake = fakeTerminal(true, { cols: 80, rows: 24 });
    const run = await runWith(['docker', 'container', 'shell', 'Py'], {
      terminal: fake.terminal,
      env: { KAWA_CLIENT_HOST_URL: server.hostUrl },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('(KAWA_ERR_BAD_ENV_NAME)');
    expect(server.requests).toEqual([]);
  });
});
