import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeRunner } from '../testing/fake-runner.js';
import { dialBack } from '../testing/fake-streams.js';
import { streamFixture, type StreamFixture } from '../testing/stream-fixture.js';
import type { TestHost } from '../testing/test-host.js';
import { runningVps, sshUrl } from '../testing/vps-api.js';

describe('runner dial-backs', () => {
  let fixture: StreamFixture;
  let host: TestHost;
  let base: string;
  let runner: FakeRunner;

  beforeEach(async () => {
    fixture = await streamFixture({ streamOpenTimeoutMs: 2_000 });
    ({ host, base, runner } = fixture);
    fixture.streams.mode = 'silent';
  });
  afterEach(() => fixture.close());

  it('joins only the waiting stream id, with the join token, once', async () => {
    const vps = await runningVps(host, runner);
    const client = await fixture.open(sshUrl(base, vps.id));
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
    const client = await fixture.open(sshUrl(base, vps.id));
    const open = await runner.next('stream-open');
    await client.close();
    await expect(dialBack(base, open.streamId, host.tokens.joinToken)).rejects.toThrow('HTTP 404');
  });
});
