import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '@kawa/protocol';
import { submit, taskReaches } from '../testing/api.js';
import type { FakeRunner } from '../testing/fake-runner.js';
import type { FakeStreams } from '../testing/fake-streams.js';
import { RefusedUpgrade, type StreamClient } from '../testing/stream-client.js';
import { streamFixture, type StreamFixture } from '../testing/stream-fixture.js';
import type { TestHost } from '../testing/test-host.js';
import { runningVps, terminalUrl } from '../testing/vps-api.js';

describe('task terminals', () => {
  let fixture: StreamFixture;
  let host: TestHost;
  let runner: FakeRunner;
  let streams: FakeStreams;
  const open = (id: number, query = ''): Promise<StreamClient> => fixture.open(terminalUrl(fixture.base, id, query));
  const runningTask = async (body: Parameters<typeof submit>[1]): Promise<number> => {
    const id = (await submit(host, body)).taskIds[0] as number;
    await runner.next('task-start');
    runner.report(id, 'running');
    await taskReaches(host, id, 'running');
    return id;
  };

  beforeEach(async () => {
    fixture = await streamFixture({ streamOpenTimeoutMs: 500, streamPingMs: 1_000 });
    ({ host, runner, streams } = fixture);
  });
  afterEach(() => fixture.close());

  it('asks for the size and command, and passes resize frames, bytes and the exit frame', async () => {
    const id = await runningTask({ command: ['sleep', '99'], image: 'busybox:1' });
    const command = encodeURIComponent(JSON.stringify(['/bin/sh', '-l']));
    const client = await open(id, `?cols=120&rows=40&command=${command}`);
    client.send('{"type":"resize","cols":100,"rows":30}');
    await client.until(() => client.bytes.toString() === 'resized 100x30', 'the resize answer');
    client.send(Buffer.from('ls\r'));
    await client.until(() => client.bytes.toString().endsWith('ls\r'), 'the echo');
    client.send(Buffer.from('exit\n'));
    expect(await client.closed).toEqual({ code: 1000, reason: 'exited' });
    expect(client.frames).toEqual([{ type: 'exit', exitCode: 3 }]);
    expect(streams.opened).toEqual([
      expect.objectContaining({ taskId: id, kind: 'terminal', cols: 120, rows: 40, command: ['/bin/sh', '-l'] }),
    ]);
  });

  it('opens a terminal in a VPS too, with the default size and shell', async () => {
    const vps: Task = await runningVps(host, runner);
    const client = await open(vps.id);
    client.send(Buffer.from('x'));
    await client.until(() => client.received === 1, 'the echo');
    expect(streams.opened[0]).toMatchObject({ kind: 'terminal', cols: 80, rows: 24, command: null });
  });

  it('closes with 4400 on a text frame that is not a terminal frame', async () => {
    const id = await runningTask({ command: ['sleep', '99'], image: 'busybox:1' });
    const client = await open(id);
    client.send('{"type":"paste","text":"rm -rf /"}');
    expect(await client.closed).toMatchObject({ code: 4400 });
    expect(client.frames[0]).toMatchObject({ type: 'error', code: 'KAWA_ERR_BAD_REQUEST' });
  });

  it('refuses a task without a container, and a bad query, before the upgrade', async () => {
    const noDocker = await runningTask({ command: ['sleep', '99'] });
    const refused = await open(noDocker).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RefusedUpgrade);
    expect(refused).toMatchObject({ status: 400, error: { code: 'KAWA_ERR_BAD_REQUEST' } });
    const withImage = await runningTask({ command: ['sleep', '99'], image: 'busybox:1' });
    const badQuery = await open(withImage, '?cols=0').catch((error: unknown) => error);
    expect(badQuery).toMatchObject({ status: 400, error: { code: 'KAWA_ERR_BAD_REQUEST' } });
    expect(streams.opened).toEqual([]);
  });

  it('closes the streams of a task that stopped running, when its runner does not', async () => {
    const vps = await runningVps(host, runner);
    const client = await open(vps.id);
    client.send(Buffer.from('x'));
    await client.until(() => client.received === 1, 'the echo');
    runner.report(vps.id, 'stopped');
    expect(await client.closed).toEqual({ code: 1000, reason: `task ${vps.id} is stopped` });
  });
});
