import { afterEach, describe, expect, it } from 'vitest';
import { closeShellServers, fakeTerminal, shellServer } from '../socket/test-socket-server.js';
import { runWith } from '../test-support.js';

afterEach(closeShellServers);

describe('kawa connect', () => {
  it('opens the task terminal with the window size and a command, and exits with its code', async () => {
    const server = await shellServer((socket) => {
      socket.send(Buffer.from('GPU 0: none\r\n'), { binary: true });
      socket.send(JSON.stringify({ type: 'exit', exitCode: 4 }));
      socket.close(1000);
    });
    const fake = fakeTerminal(true, { cols: 132, rows: 43 });
    const run = await runWith(['connect', 'kawa-42', '--', 'nvidia-smi', '-L'], {
      terminal: fake.terminal,
      env: { KAWA_CLIENT_HOST_URL: server.hostUrl },
    });
    expect(run).toEqual({ code: 4, stdout: 'GPU 0: none\r\n', stderr: '' });
    const url = new URL(server.requests[0]?.url ?? '', 'http://h');
    expect(url.pathname).toBe('/api/v1/tasks/42/terminal');
    expect(Object.fromEntries(url.searchParams)).toEqual({ cols: '132', rows: '43', command: '["nvidia-smi","-L"]' });
    expect(fake.rawModes).toEqual([true, false]);
  });

  it('reports a task that is not running with the host’s code', async () => {
    const server = await shellServer(
      () => undefined,
      () => ({ status: 409, body: { error: { code: 'KAWA_ERR_INVALID_STATE', message: 'task 42 is completed' } } }),
    );
    const run = await runWith(['connect', '42'], {
      terminal: fakeTerminal(false, null).terminal,
      env: { KAWA_CLIENT_HOST_URL: server.hostUrl },
    });
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: task 42 is completed (KAWA_ERR_INVALID_STATE)\n' });
  });
});
