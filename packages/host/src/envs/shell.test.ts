import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPath, envContainerName, terminalCloseCodes, wsRoutes } from '@kawa/protocol';
import { createHostContainer } from '../testing/api.js';
import { TEST_IMAGE, docker, dropEnv, uniqueEnv } from '../testing/docker.js';
import { TerminalClient } from '../testing/terminal-client.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';

describe('host container shell', () => {
  let host: TestHost;
  let base: string;
  const name = uniqueEnv();
  const clients: TerminalClient[] = [];

  beforeAll(async () => {
    host = createTestHost();
    base = (await listen(host)).ws;
    await createHostContainer(host, name, TEST_IMAGE);
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await host.close();
    await dropEnv(name);
  });

  const shellUrl = (env: string, query = ''): string =>
    `${base}${buildPath(wsRoutes.hostContainerShell.path, { name: env })}${query}`;
  const open = async (env: string, query = ''): Promise<TerminalClient> => {
    const client = await TerminalClient.open(shellUrl(env, query), host.admin);
    clients.push(client);
    return client;
  };

  it('runs a shell on a TTY: input, output, resize, and the exit code on exit', async () => {
    const shell = await open(name, '?cols=120&rows=40');
    shell.type('echo $((6*7))\n');
    await shell.waitFor(/\r?\n42\r?\n/);
    shell.type('echo "size=$(stty size)"; echo "term=$TERM"\n');
    await shell.waitFor(/size=40 120\r?\n/);
    await shell.waitFor(/term=xterm-256color\r?\n/);
    shell.send({ type: 'resize', cols: 100, rows: 30 });
    // The resize reaches the TTY asynchronously; ask until it shows.
    await expect
      .poll(
        async () => {
          shell.type('echo "now=$(stty size)"\n');
          await new Promise((resolve) => setTimeout(resolve, 100));
          return /now=30 100/.test(shell.output);
        },
        { timeout: 5_000, interval: 100 },
      )
      .toBe(true);
    shell.type('exit 3\n');
    const closed = await shell.closed;
    expect(shell.frames).toEqual([{ type: 'exit', exitCode: 3 }]);
    expect(closed.code).toBe(1000);
  });

  it('runs the command given in the query instead of a shell', async () => {
    const command = encodeURIComponent(JSON.stringify(['/bin/sh', '-c', 'echo "from-$((40+2))"; exit 7']));
    const shell = await open(name, `?command=${command}`);
    await shell.waitFor(/from-42/);
    expect((await shell.closed).code).toBe(1000);
    expect(shell.frames).toEqual([{ type: 'exit', exitCode: 7 }]);
  });

  it('sends the exit frame for a command that exits at once without output (regression)', async () => {
    // The exec ended while the session was still sizing the TTY, and no exit frame was sent.
    for (const [argv, code] of [
      [['true'], 0],
      [['/bin/sh', '-c', 'exit 3'], 3],
    ] as const) {
      const shell = await open(name, `?command=${encodeURIComponent(JSON.stringify(argv))}`);
      expect((await shell.closed).code).toBe(1000);
      expect(shell.frames).toEqual([{ type: 'exit', exitCode: code }]);
    }
  });

  it('ends only the session when the client leaves: the container keeps running', async () => {
    const shell = await open(name);
    shell.type('echo ready\n');
    await shell.waitFor(/ready\r?\n/);
    await shell.close();
    const again = await open(name);
    again.type('echo "still-$((1+1))"\n');
    await again.waitFor(/still-2/);
    expect((await docker.getContainer(envContainerName(name)).inspect()).State.Running).toBe(true);
  });

  it('refuses a bad request with an error frame and close 4400', async () => {
    const cases: [string, string, string][] = [
      ['Upper', '', 'KAWA_ERR_BAD_ENV_NAME'],
      [uniqueEnv(), '', 'KAWA_ERR_CONTAINER_NOT_FOUND'],
      [name, '?cols=0', 'KAWA_ERR_BAD_REQUEST'],
      [name, '?command=echo', 'KAWA_ERR_BAD_REQUEST'],
      [name, '?colour=red', 'KAWA_ERR_BAD_REQUEST'],
    ];
    for (const [env, query, code] of cases) {
      const shell = await open(env, query);
      const closed = await shell.closed;
      expect(closed.code).toBe(terminalCloseCodes.refused);
      expect(shell.frames).toEqual([expect.objectContaining({ type: 'error', code })]);
    }
  });

  it('refuses a control frame that is not JSON of a known shape', async () => {
    const shell = await open(name);
    shell.sendText('{"type":"paste"}');
    const closed = await shell.closed;
    expect(closed.code).toBe(terminalCloseCodes.refused);
    expect(shell.frames).toEqual([expect.objectContaining({ type: 'error', code: 'KAWA_ERR_BAD_REQUEST' })]);
  });

  it('says CONTAINER_NOT_RUNNING for a stopped container, and needs a token', async () => {
    await expect(TerminalClient.open(shellUrl(name), {})).rejects.toThrow('HTTP 401');
    const stopped = uniqueEnv();
    await createHostContainer(host, stopped, TEST_IMAGE);
    try {
      await docker.getContainer(envContainerName(stopped)).kill();
      const shell = await open(stopped);
      expect((await shell.closed).code).toBe(terminalCloseCodes.refused);
      expect(shell.frames).toEqual([
        expect.objectContaining({ type: 'error', code: 'KAWA_ERR_CONTAINER_NOT_RUNNING' }),
      ]);
    } finally {
      await dropEnv(stopped);
    }
  });

  it('closes open terminals with 1001 when the host shuts down, leaving the container running', async () => {
    const other = createTestHost();
    try {
      const url = `${(await listen(other)).ws}${buildPath(wsRoutes.hostContainerShell.path, { name })}`;
      const shell = await TerminalClient.open(url, other.admin);
      shell.type('echo up\n');
      await shell.waitFor(/up\r?\n/);
      await other.close();
      expect((await shell.closed).code).toBe(1001);
      expect((await docker.getContainer(envContainerName(name)).inspect()).State.Running).toBe(true);
    } finally {
      await other.close();
    }
  });
});
