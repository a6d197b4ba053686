import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventCloseCodes, type Task } from '@kawa/protocol';
import { submit, taskAction } from '../testing/api.js';
import { FakeRunner, testResources } from '../testing/fake-runner.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';
import { TestStream } from './test-stream.js';

describe('event stream', () => {
  let host: TestHost;
  let ws: string;
  /** The host's clock: usage samples closer than 5 s are not kept, so tests step it. */
  let now: number;
  const closers: (() => Promise<unknown>)[] = [];

  const open = async (): Promise<TestStream> => {
    const stream = await TestStream.withToken(ws, host.tokens.adminToken);
    closers.push(() => stream.close());
    return stream;
  };
  const runner = async (name: string): Promise<FakeRunner> => {
    const fake = await FakeRunner.connect(ws, host.tokens.joinToken);
    closers.push(() => fake.terminate());
    await fake.hello(name, testResources({ cores: 2 }));
    // Heartbeats only when a test sends them, each 10 s after the last on the host's clock.
    fake.stopHeartbeats();
    return fake;
  };
  const taskFrame = (stream: TestStream, id: number, status: Task['status']): Promise<unknown> =>
    stream.waitFor('task', (frame) => frame.task.id === id && frame.task.status === status);

  beforeEach(async () => {
    now = 1_700_000_000_000;
    host = createTestHost({ config: { heartbeat_interval: 0.05, heartbeat_grace: 5 }, clock: { now: () => now } });
    ws = (await listen(host)).ws;
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close().catch(() => undefined);
    await host.close();
  });

  it('starts with a snapshot of nodes, usage history, queue and recent tasks', async () => {
    const fake = await runner('node1');
    now += 10_000;
    fake.heartbeat(42);
    await submit(host, { command: ['true'], container: 'NULL', targets: ['node1'] });
    // The hub samples once a second: wait until it has seen the heartbeat.
    const first = await open();
    await first.waitFor('usage', (frame) => frame.sample.cpuPercent === 42, 3_000);
    await first.close();

    const stream = await open();
    const snapshot = await stream.waitFor('snapshot');
    expect(stream.frames[0]?.type).toBe('snapshot');
    expect(snapshot.nodes.map((node) => node.name)).toEqual(['node1']);
    expect(snapshot.history[0]?.node).toBe('node1');
    expect(snapshot.history[0]?.samples.some((sample) => sample.cpuPercent === 42)).toBe(true);
    expect(snapshot.recentTasks.map((task) => task.command)).toEqual([['true']]);
    expect(snapshot.queue.pending).toBe(0);
  });

  it('sends a node when it registers and usage as it reports', async () => {
    const stream = await open();
    await stream.waitFor('snapshot');
    const fake = await runner('node2');
    expect((await stream.waitFor('node', (frame) => frame.node.name === 'node2', 3_000)).node.status).toBe('online');
    now += 10_000;
    fake.heartbeat(77);
    const usage = await stream.waitFor('usage', (frame) => frame.sample.cpuPercent === 77, 3_000);
    expect(usage.node).toBe('node2');
  });

  it('sends every state of a submitted task, the queue length, and a kill', async () => {
    const stream = await open();
    await stream.waitFor('snapshot');
    const fake = await runner('node1');
    // Two cores: the second task waits with a reason.
    const { taskIds } = await submit(host, { command: ['sleep', '9'], container: 'NULL', cores: 2 });
    const [first, second] = [
      taskIds[0] as number,
      (await submit(host, { command: ['x'], container: 'NULL', cores: 2 })).taskIds[0] as number,
    ];
    await fake.next('task-start');
    await taskFrame(stream, first, 'assigned');
    const waiting = await stream.waitFor(
      'task',
      (frame) => frame.task.id === second && frame.task.status === 'pending' && /cores/.test(frame.task.reason ?? ''),
      3_000,
    );
    expect(waiting.task.reason).toMatch(/waiting for/);
    await stream.waitFor('queue', (frame) => frame.queue.pending === 1, 3_000);

    fake.report(first, 'running');
    await taskFrame(stream, first, 'running');
    await taskAction(host, second, 'kill');
    await taskFrame(stream, second, 'killed');
    await stream.waitFor('queue', (frame) => frame.queue.pending === 0, 3_000);
  });

  it('answers ping with pong and closes on any other frame', async () => {
    const stream = await open();
    await stream.waitFor('snapshot');
    stream.socket.send(JSON.stringify({ type: 'ping' }));
    await stream.waitFor('pong');
    stream.socket.send(JSON.stringify({ type: 'subscribe', to: 'everything' }));
    expect((await stream.closed).code).toBe(eventCloseCodes.badFrame);
  });

  it('closes streams with 1001 when the host shuts down', async () => {
    const stream = await open();
    await stream.waitFor('snapshot');
    const closing = host.app.close();
    expect((await stream.closed).code).toBe(1001);
    await closing;
  });
});
