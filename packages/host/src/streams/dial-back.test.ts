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
    fixture = await streamFixture({ streamOpenTimeoutMs: 1_000, commandTimeoutMs: 1_000 });
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

    const received: string[] = [];
    const joined = await dialBack(base, open.streamId, host.tokens.joinToken, {
      onMessage: (socket, data, isBinary) => {
        received.push(data.toString());
        socket.send(data, { binary: isBinary });
      },
    });
    await expect(dialBack(base, open.streamId, host.tokens.joinToken)).rejects.toThrow('HTTP 404');
    // Nothing is relayed before the runner answered ok (only then is its end surely listening).
    client.send(Buffer.from('hello'));
    joined.send(Buffer.from('SSH-2.0-sshd\r\n'), { binary: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect({ atRunner: received, atClient: client.received }).toEqual({ atRunner: [], atClient: 0 });
    runner.send({ type: 'command-result', requestId: open.requestId, ok: true, error: null });
    await client.until(() => client.bytes.toString() === 'SSH-2.0-sshd\r\nhello', 'both sides');
    expect(received).toEqual(['hello']);
    joined.close(1000, 'sshd closed');
    expect(await client.closed).toEqual({ code: 1000, reason: 'sshd closed' });
  });

  it('fails a stream whose runner dialled back but never answered, and closes the dial-back', async () => {
    const vps = await runningVps(host, runner);
    const client = await fixture.open(sshUrl(base, vps.id));
    const open = await runner.next('stream-open');
    const joined = await dialBack(base, open.streamId, host.tokens.joinToken);
    const runnerClosed = new Promise<number>((resolve) => joined.once('close', (code) => resolve(code)));
    expect(await client.closed).toMatchObject({ code: 4504 });
    expect(client.frames).toMatchObject([{ type: 'error', code: 'KAWA_ERR_RUNNER_TIMEOUT' }]);
    expect(await runnerClosed).toBe(1001);
  });

  it('refuses a dial-back after its client left', async () => {
    const vps = await runningVps(host, runner);
    const client = await fixture.open(sshUrl(base, vps.id));
    const open = await runner.next('stream-open');
    await client.close();
    await expect(dialBack(base, open.streamId, host.tokens.joinToken)).rejects.toThrow('HTTP 404');
  });
});
