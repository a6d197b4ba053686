import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WS_SUBPROTOCOL, type Task } from '@kawa/protocol';
import { submit, taskReaches } from '../testing/api.js';
import type { FakeRunner } from '../testing/fake-runner.js';
import { REFUSAL, type FakeStreams } from '../testing/fake-streams.js';
import { streamFixture, type StreamFixture } from '../testing/stream-fixture.js';
import { RefusedUpgrade } from '../testing/stream-client.js';
import type { TestHost } from '../testing/test-host.js';
import { runningVps, sshUrl } from '../testing/vps-api.js';

describe('SSH streams', () => {
  let fixture: StreamFixture;
  let host: TestHost;
  let runner: FakeRunner;
  let streams: FakeStreams;
  let vps: Task;
  const open = (id: number, options: { headers?: Record<string, string>; protocols?: string[] } = {}) =>
    fixture.open(sshUrl(fixture.base, id), options);
  const refusal = async (id: number, headers: Record<string, string> = host.admin): Promise<RefusedUpgrade> => {
    const outcome = await open(id, { headers }).catch((error: unknown) => error);
    if (outcome instanceof RefusedUpgrade) return outcome;
    throw new Error(`the upgrade was not refused with HTTP: ${String(outcome)}`);
  };

  beforeEach(async () => {
    fixture = await streamFixture({ streamOpenTimeoutMs: 300, streamPingMs: 100, commandTimeoutMs: 1_000 });
    ({ host, runner, streams } = fixture);
    vps = await runningVps(host, runner);
  });
  afterEach(() => fixture.close());

  it('relays binary bytes both ways through the runner, 1 MiB frames included', async () => {
    const client = await open(vps.id);
    const sent = [randomBytes(1 << 20), ...Array.from({ length: 16 }, (_, index) => randomBytes(32_768 + index))];
    for (const chunk of sent) client.send(chunk);
    const total = sent.reduce((sum, chunk) => sum + chunk.length, 0);
    expect(total).toBeGreaterThan(1 << 20);
    await client.until(() => client.received >= total, 'the echo', 10_000);
    // Once the relay runs, more goes through it directly.
    const later = Array.from({ length: 32 }, () => randomBytes(65_536));
    for (const chunk of later) client.send(chunk);
    const all = Buffer.concat([...sent, ...later]);
    await client.until(() => client.received >= all.length, 'the second echo', 10_000);
    expect(client.bytes.equals(all)).toBe(true);
    expect(streams.opened.map(({ taskId, kind }) => ({ taskId, kind }))).toEqual([{ taskId: vps.id, kind: 'ssh' }]);
    expect(streams.opened[0]?.streamId).toMatch(/^[\w-]{32}$/);
  });

  it('takes the token as a WebSocket subprotocol, as the dashboard sends it', async () => {
    const client = await open(vps.id, {
      headers: {},
      protocols: [WS_SUBPROTOCOL, `kawa.token.${host.tokens.adminToken}`],
    });
    client.send(Buffer.from('SSH-2.0-test\r\n'));
    await client.until(() => client.received === 14, 'the echo');
    expect(client.socket.protocol).toBe(WS_SUBPROTOCOL);
  });

  it('refuses before the upgrade with plain HTTP coded errors', async () => {
    expect(await refusal(vps.id, {})).toMatchObject({ status: 401, error: { code: 'KAWA_ERR_UNAUTHORIZED' } });
    expect(await refusal(vps.id, host.join)).toMatchObject({ status: 403, error: { code: 'KAWA_ERR_FORBIDDEN' } });
    expect(await refusal(9999)).toMatchObject({ status: 404, error: { code: 'KAWA_ERR_TASK_NOT_FOUND' } });

    const command = (await submit(host, { command: ['sleep', '9'] })).taskIds[0] as number;
    await runner.next('task-start');
    runner.report(command, 'running');
    await taskReaches(host, command, 'running');
    expect(await refusal(command)).toMatchObject({ status: 400, error: { code: 'KAWA_ERR_NOT_A_VPS' } });

    runner.report(vps.id, 'paused');
    await taskReaches(host, vps.id, 'paused');
    expect(await refusal(vps.id)).toMatchObject({ status: 409, error: { code: 'KAWA_ERR_INVALID_STATE' } });
    runner.report(vps.id, 'failed', { exitCode: 1 });
    await taskReaches(host, vps.id, 'failed');
    const finished = await refusal(vps.id);
    expect(finished).toMatchObject({
      status: 409,
      error: { code: 'KAWA_ERR_INVALID_STATE', details: { status: 'failed' } },
    });
    expect(streams.opened).toEqual([]);
  });

  it('refuses a stream to a task whose node is not connected with 503', async () => {
    await runner.close();
    expect(await refusal(vps.id)).toMatchObject({ status: 503, error: { code: 'KAWA_ERR_RUNNER_UNAVAILABLE' } });
  });

  it('fails the client with KAWA_ERR_RUNNER_TIMEOUT when the runner never dials back', async () => {
    streams.mode = 'silent';
    const client = await open(vps.id);
    client.send(Buffer.from('SSH-2.0-early\r\n'));
    expect(await client.closed).toMatchObject({ code: 4504 });
    expect(client.frames).toMatchObject([{ type: 'error', code: 'KAWA_ERR_RUNNER_TIMEOUT' }]);
  });

  it("passes the runner's refusal on as its code", async () => {
    streams.mode = 'refuse';
    const client = await open(vps.id);
    expect(await client.closed).toMatchObject({ code: 4502 });
    expect(client.frames).toEqual([{ type: 'error', ...REFUSAL }]);
  });

  it('closes the client with 4503 when the runner vanishes mid-stream, and the runner when the client leaves', async () => {
    const client = await open(vps.id);
    client.send(Buffer.from('ping'));
    await client.until(() => client.received === 4, 'the echo');
    streams.terminateAll();
    expect(await client.closed).toMatchObject({ code: 4503 });
    expect(client.frames).toMatchObject([{ type: 'error', code: 'KAWA_ERR_RUNNER_UNAVAILABLE' }]);

    const second = await open(vps.id);
    second.send(Buffer.from('ping'));
    await second.until(() => second.received === 4, 'the echo');
    const runnerSide = streams.sockets.at(-1);
    const runnerClosed = new Promise<number>((resolve) => runnerSide?.once('close', (code) => resolve(code)));
    await second.close(4000);
    expect(await runnerClosed).toBe(4000);
  });

  it('cuts a runner stream that stops answering pings', async () => {
    streams.mode = 'deaf';
    const client = await open(vps.id);
    client.send(Buffer.from('ping'));
    await client.until(() => client.received === 4, 'the echo');
    expect(await client.closed).toMatchObject({ code: 4503 });
  });

  it('closes with 4400 on a text frame, which SSH streams do not carry', async () => {
    const client = await open(vps.id);
    client.send('{"type":"resize","cols":1,"rows":1}');
    expect(await client.closed).toMatchObject({ code: 4400 });
    expect(client.frames[0]).toMatchObject({ type: 'error', code: 'KAWA_ERR_BAD_REQUEST' });
  });
});
