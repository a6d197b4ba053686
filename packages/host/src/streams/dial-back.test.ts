import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRunner } from '../testing/fake-runner.js';
import { FakeStreams, dialBack } from '../testing/fake-streams.js';
import { StreamClient } from '../testing/stream-client.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';
import { runningVps, sshUrl } from '../testing/vps-api.js';

describe('runner dial-backs', () => {
  let host: TestHost;
  let base: string;
  let runner: FakeRunner;
  let streams: FakeStreams;

  beforeEach(async () => {
    host = createTestHost({ streamOpenTimeoutMs: 2_000 });
    base = (await listen(host)).ws;
    runner = await FakeRunner.connect(base, host.tokens.joinToken);
    await runner.hello('node1');
    streams = new FakeStreams(runner, 'silent');
  });
  afterEach(async () => {
    streams.terminateAll();
    await runner.terminate();
    await host.close();
  });

  it('joins only the waiting stream id, with the join token, once', async () => {
    const vps = await runningVps(host, runner);
    const client = await StreamClient.open(sshUrl(base, vps.id), { headers: host.admin });
    const open = await runner.next('stream-open');

    await expect(dialBack(base, 'x'.repeat(32), host.tokens.joinToken)).rejects.toThrow('HTTP 404');
    await expect(dialBack(base, 'short', host.tokens.joinToken)).rejects.toThrow('HTTP 400');
    await expect(dialBack(base, open.streamId, host.tokens.adminToken)).rejects.toThrow('HTTP 403');
    await expect(dialBack(base, open.streamId, null)).rejects.toThrow('HTTP 401');

    const joined = await dialBack(base, open.streamId, host.tokens.joinToken, {
      onMessage: (socket, data, isBinary) => socket.send(data, { binary: isBinary }),
    });
    await expect(dialBack(base, open.streamId, host.tokens.joinToken)).rejects.toThrow('HTTP 404');
    client.send(Buffer.from('hello'));
    await client.until(() => client.bytes.toString() === 'hello', 'the echo');
    joined.close(1000, 'sshd closed');
    expect(await client.closed).toEqual({ code: 1000, reason: 'sshd closed' });
  });

  it('refuses a dial-back after its client left', async () => {
    const vps = await runningVps(host, runner);
    const client = await StreamClient.open(sshUrl(base, vps.id), { headers: host.admin });
    const open = await runner.next('stream-open');
    await client.close();
    await expect(dialBack(base, open.streamId, host.tokens.joinToken)).rejects.toThrow('HTTP 404');
  });
});
