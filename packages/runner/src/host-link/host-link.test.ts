import { HelloFrameSchema, linkCloseCodes, type NodeUsage, type TaskEventFrame } from '@kawa/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { createLogger } from '../logger.js';
import { FakeHost } from '../testing/fake-host.js';
import { waitFor } from '../testing/wait-for.js';
import { reconnectDelay } from './backoff.js';
import { createHostLink, type HostLink, type HostLinkOptions, type HostWorkFrame } from './host-link.js';
import { runnerLinkUrl, runnerStreamUrl } from './link-url.js';
import { Outbox } from './outbox.js';

const usage: NodeUsage = { cpuPercent: 1, memoryUsedBytes: 1, memoryTotalBytes: 2, temperatures: [], gpus: [] };
const resources = {
  hostname: 'box',
  cores: 2,
  memoryBytes: 1000,
  numa: [{ id: 0, cpus: [0, 1], memoryBytes: 1000 }],
  gpus: [],
};

const event = (taskId: number, status: TaskEventFrame['status']): TaskEventFrame => ({
  type: 'task-event',
  taskId,
  status,
  exitCode: status === 'completed' ? 0 : null,
  message: null,
  errorCode: null,
  at: 1,
});

let host: FakeHost | null = null;
let link: HostLink | null = null;
afterEach(async () => {
  await link?.close();
  await host?.close();
  link = null;
  host = null;
});

async function connect(
  overrides: Partial<HostLinkOptions> = {},
  configure: (host: FakeHost) => void = () => {},
): Promise<{ host: FakeHost; link: HostLink; received: HostWorkFrame[]; logs: string[] }> {
  host = new FakeHost();
  configure(host);
  const url = await host.listen();
  const received: HostWorkFrame[] = [];
  const logs: string[] = [];
  link = createHostLink({
    url: runnerLinkUrl(url),
    token: () => Promise.resolve('join-secret'),
    hello: () => ({ name: 'node-a', version: '1', resources, liveTasks: [{ taskId: 3, status: 'running' }] }),
    usage: () => Promise.resolve(usage),
    onFrame: (frame) => received.push(frame),
    reconnectMaxDelayMs: 200,
    reconnectBaseDelayMs: 10,
    logger: createLogger('debug', (line) => logs.push(line)),
    ...overrides,
  });
  return { host, link, received, logs };
}

describe('runner link url', () => {
  it('maps http to ws and https to wss, keeping a path prefix', () => {
    expect(runnerLinkUrl('http://127.0.0.1:8000')).toBe('ws://127.0.0.1:8000/api/v1/runner-link');
    expect(runnerLinkUrl('https://kawa.lab/prefix/')).toBe('wss://kawa.lab/prefix/api/v1/runner-link');
  });

  it('puts reverse streams under the same base, with the stream id in the path', () => {
    expect(runnerStreamUrl('http://127.0.0.1:8000', 'abcdefghijklmnop')).toBe(
      'ws://127.0.0.1:8000/api/v1/runner-link/streams/abcdefghijklmnop',
    );
    expect(runnerStreamUrl('https://kawa.lab/prefix/?x=1', 'A_b-0123456789abcd')).toBe(
      'wss://kawa.lab/prefix/api/v1/runner-link/streams/A_b-0123456789abcd',
    );
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially with jitter, up to the max', () => {
    expect(reconnectDelay(0, 100, 10_000, () => 0)).toBe(50);
    expect(reconnectDelay(0, 100, 10_000, () => 1)).toBe(100);
    expect(reconnectDelay(3, 100, 10_000, () => 1)).toBe(800);
    expect(reconnectDelay(40, 100, 10_000, () => 1)).toBe(10_000);
    expect(reconnectDelay(40, 100, 10_000, () => 0)).toBe(5000);
  });
});

describe('outbox', () => {
  it('drops superseded state changes before final events when full', () => {
    const dropped: number[] = [];
    const outbox = new Outbox(2);
    const push = (frame: TaskEventFrame): void => outbox.push({ frame, onDropped: () => dropped.push(frame.taskId) });
    push(event(1, 'completed'));
    push(event(2, 'running'));
    push(event(3, 'failed'));
    expect(dropped).toEqual([2]);
    push(event(4, 'killed'));
    expect(dropped).toEqual([2, 1]);
    expect(outbox.takeAll().map((item) => item.frame.taskId)).toEqual([3, 4]);
  });
});

describe('host link', () => {
  it('says hello with the bearer token and heartbeats after welcome', async () => {
    const { host, link } = await connect();
    await link.connected;
    expect(link.isConnected()).toBe(true);
    expect(host.authorizations).toEqual(['Bearer join-secret']);
    const hello = HelloFrameSchema.parse(host.frames[0]);
    expect(hello).toEqual({
      type: 'hello',
      name: 'node-a',
      version: '1',
      resources,
      liveTasks: [{ taskId: 3, status: 'running' }],
    });
    await waitFor(() => host.of('heartbeat').length >= 2, 'two heartbeats');
    expect(host.of('heartbeat')[0]?.usage).toEqual(usage);
  });

  it('hands task frames to the runner and ignores invalid ones', async () => {
    const { host, link, received, logs } = await connect();
    await link.connected;
    const ws = host.connections[0] as WebSocket;
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'task-start', task: { id: -1 } }));
    ws.send(JSON.stringify({ type: 'task-control', requestId: 1, taskId: 9, action: 'pause' }));
    await waitFor(() => received.length === 1, 'the task-control');
    expect(received[0]).toEqual({ type: 'task-control', requestId: 1, taskId: 9, action: 'pause' });
    expect(logs.filter((line) => line.includes('ignored'))).toHaveLength(2);
    link.sendCommandResult({ type: 'command-result', requestId: 1, ok: true, error: null });
    await waitFor(() => host.of('command-result').length === 1, 'the command result');
  });

  it('reconnects after the host drops it and flushes events queued meanwhile, in order', async () => {
    const { host, link } = await connect();
    await link.connected;
    const delivered: number[] = [];
    link.sendEvent(event(1, 'running'), { onDelivered: () => delivered.push(1) });
    await waitFor(() => delivered.length === 1, 'the first event to be delivered');

    host.autoWelcome = false;
    host.connections[0]?.terminate();
    await waitFor(() => !link.isConnected(), 'the link to notice the drop');
    link.sendEvent(event(1, 'completed'), { onDelivered: () => delivered.push(2) });
    link.sendEvent(event(2, 'failed'), { onDelivered: () => delivered.push(3) });
    link.sendCommandResult({ type: 'command-result', requestId: 5, ok: true, error: null });

    await waitFor(() => host.connections.length === 2 && host.of('hello').length === 2, 'the second hello');
    // Nothing but hello goes out before welcome.
    expect(host.frames.at(-1)?.type).toBe('hello');
    expect(delivered).toEqual([1]);
    host.connections[1]?.send(JSON.stringify({ type: 'welcome', heartbeatIntervalMs: 1000 }));
    await waitFor(() => delivered.length === 3, 'the queued events');
    expect(delivered).toEqual([1, 2, 3]);
    const events = host.of('task-event').map((frame) => [frame.taskId, frame.status]);
    expect(events).toEqual([
      [1, 'running'],
      [1, 'completed'],
      [2, 'failed'],
    ]);
    expect(host.of('command-result')).toEqual([]);
    await link.flush(1000);
  });

  it('sends an event again on the next link when the host never acknowledged it (regression: host crash lost it)', async () => {
    const { host, link } = await connect();
    await link.connected;
    // The host reads the event and dies before storing it: it never acks.
    host.autoAck = false;
    const delivered: string[] = [];
    link.sendEvent(event(9, 'completed'), { onDelivered: () => delivered.push('completed') });
    await waitFor(() => host.of('task-event').length === 1, 'the event to be written');
    expect(delivered).toEqual([]);
    host.autoAck = true;
    host.connections[0]?.terminate();
    await waitFor(() => host.of('task-event').length === 2, 'the event sent again after the reconnect');
    await waitFor(() => delivered.length === 1, 'the ack of the second send');
    expect(host.of('task-event').map((frame) => [frame.taskId, frame.status])).toEqual([
      [9, 'completed'],
      [9, 'completed'],
    ]);
    expect(delivered).toEqual(['completed']);
    await link.flush(1000);
  });

  it('sends progress only while connected and never queues it', async () => {
    const { host, link } = await connect();
    await link.connected;
    const progress = (doneBytes: number) => ({
      type: 'task-progress' as const,
      taskId: 4,
      progress: { what: 'env-a', phase: 'loading' as const, doneBytes, totalBytes: 100 },
    });
    link.sendProgress(progress(10));
    await waitFor(() => host.of('task-progress').length === 1, 'the first progress frame');

    host.autoWelcome = false;
    host.connections[0]?.terminate();
    await waitFor(() => !link.isConnected(), 'the link to notice the drop');
    link.sendProgress(progress(50));
    link.sendEvent(event(4, 'running'));
    await waitFor(() => host.of('hello').length === 2, 'the second hello');
    host.connections[1]?.send(JSON.stringify({ type: 'welcome', heartbeatIntervalMs: 1000 }));
    await waitFor(() => host.of('task-event').length === 1, 'the queued event');
    link.sendProgress(progress(100));
    await waitFor(() => host.of('task-progress').length === 2, 'the progress after the reconnect');
    // The frame sent while disconnected is gone: 10, then 100.
    expect(host.of('task-progress').map((frame) => frame.progress.doneBytes)).toEqual([10, 100]);
  });

  it('keeps retrying slowly when the name is in use', async () => {
    const { host, link, logs } = await connect();
    await link.connected;
    host.connections[0]?.close(linkCloseCodes.nameInUse, 'another runner is connected as node-a');
    await waitFor(() => logs.some((line) => line.includes('refused the name "node-a"')), 'the name-in-use error');
    await waitFor(() => host.of('hello').length === 2, 'a retry', 5000);
  });

  it('reports a refused join token and retries', async () => {
    host = new FakeHost();
    host.refuseWith = 401;
    const url = await host.listen();
    const logs: string[] = [];
    link = createHostLink({
      url: runnerLinkUrl(url),
      token: () => Promise.resolve('wrong'),
      hello: () => ({ name: 'node-a', version: '1', resources, liveTasks: [] }),
      usage: () => Promise.resolve(usage),
      onFrame: () => {},
      reconnectMaxDelayMs: 100,
      reconnectBaseDelayMs: 10,
      logger: createLogger('debug', (line) => logs.push(line)),
    });
    await waitFor(() => logs.some((line) => line.includes('refused the join token (HTTP 401)')), 'the token error');
    host.refuseWith = null;
    await link.connected;
  });

  it('rejects `connected` when closed before any welcome', async () => {
    const { host, link } = await connect({}, (fake) => (fake.autoWelcome = false));
    await waitFor(() => host.of('hello').length === 1, 'hello');
    await link.close();
    await expect(link.connected).rejects.toThrow(/stopped before the host welcomed it/);
  });
});
