import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { StreamOpenFrame, TaskSpec } from '@kawa/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import {
  dockerReady,
  startDockerHarness,
  TEST_IMAGE,
  uniqueTaskId,
  type DockerHarness,
} from '../testing/docker-harness.js';
import { taskSpec } from '../testing/executor-harness.js';
import { FakeHost } from '../testing/fake-host.js';
import { FAKE_BANNER, fakeSshdImage, TEST_PUBLIC_KEY } from '../testing/fake-sshd-image.js';
import { waitFor } from '../testing/wait-for.js';
import { createStreamService, type LocalStreamSink, type StreamService } from './stream-service.js';
import type { StreamSubject } from './stream-target.js';

const ready = await dockerReady();

/** A no-Docker task the subject lookup knows of (the runner test covers the real one). */
const NO_DOCKER_TASK = 77;

let harness: DockerHarness | null = null;
let host: FakeHost | null = null;
let service: StreamService | null = null;
afterEach(async () => {
  await service?.close();
  await harness?.close();
  await host?.close();
  service = harness = host = null;
});

async function setup(options: { dialTimeoutMs?: number; localStreams?: LocalStreamSink } = {}) {
  harness = await startDockerHarness();
  host = new FakeHost();
  const hostUrl = await host.listen();
  const h = harness;
  const subject = (taskId: number): StreamSubject =>
    taskId === NO_DOCKER_TASK ? { kind: 'no-docker' } : h.executor.lookup(taskId);
  service = createStreamService({
    hostUrl,
    token: () => Promise.resolve('join-secret'),
    nodeName: h.nodeName,
    engine: h.engine,
    subject,
    logger: createLogger('silent'),
    ...options,
  });
  return { h, host, service };
}

const streamId = (): string => randomBytes(12).toString('base64url');
const openFrame = (
  taskId: number,
  kind: 'ssh' | 'terminal',
  extra: Partial<StreamOpenFrame> = {},
): StreamOpenFrame => ({
  type: 'stream-open',
  requestId: 1,
  streamId: streamId(),
  taskId,
  kind,
  cols: 80,
  rows: 24,
  command: null,
  raw: false,
  ...extra,
});

describe.skipIf(!ready)('reverse streams', () => {
  let sshdImage = '';
  beforeAll(async () => {
    sshdImage = await fakeSshdImage();
  });

  async function runningVps(h: DockerHarness): Promise<TaskSpec> {
    const spec = taskSpec(uniqueTaskId(), ['not-run'], { kind: 'vps', publicKey: TEST_PUBLIC_KEY, image: sshdImage });
    h.executor.start(spec);
    await h.event(spec.id, ['running']);
    return spec;
  }
  async function runningTask(h: DockerHarness): Promise<TaskSpec> {
    const spec = taskSpec(uniqueTaskId(), ['sleep', '300'], { image: TEST_IMAGE });
    h.executor.start(spec);
    await h.event(spec.id, ['running']);
    return spec;
  }

  it('pipes ssh bytes both ways to the published port, dialled back with the join token', async () => {
    const { h, host, service } = await setup();
    const vps = await runningVps(h);
    const frame = openFrame(vps.id, 'ssh');
    expect(await service.open(frame)).toEqual({ ok: true });
    expect(host.streamAuthorizations).toEqual(['Bearer join-secret']);
    const stream = await host.stream(frame.streamId);
    await stream.until(FAKE_BANNER);
    // 300 KiB through the echo: more than one output frame and the socket buffers, byte for byte.
    const blob = randomBytes(300 * 1024);
    stream.socket.send(Buffer.from('ping\n'), { binary: true });
    stream.socket.send(blob, { binary: true });
    const expected = Buffer.concat([Buffer.from(FAKE_BANNER), Buffer.from('ping\n'), blob]);
    await waitFor(() => stream.bytes().length >= expected.length, 'the echo of every byte sent');
    expect(stream.bytes().equals(expected)).toBe(true);

    // The VPS stops: sshd's side closes, and so does the stream.
    expect(await h.executor.control(vps.id, 'stop')).toEqual({ ok: true });
    expect([1000, 4502]).toContain((await stream.closed).code);
  });

  it('hands a raw ssh stream’s sshd connection to the host in its process, and dials back otherwise', async () => {
    const handed: { streamId: string; socket: Duplex }[] = [];
    let accept = true;
    const { h, host, service } = await setup({
      localStreams: (streamId, socket) => {
        if (accept) handed.push({ streamId, socket });
        return accept;
      },
    });
    const vps = await runningVps(h);
    const raw = openFrame(vps.id, 'ssh', { raw: true });
    expect(await service.open(raw)).toEqual({ ok: true });
    expect(host.streamAuthorizations).toEqual([]);
    expect(handed.map(({ streamId }) => streamId)).toEqual([raw.streamId]);
    // It is the connection to sshd: the banner, then the echo.
    const socket = handed[0]?.socket as Duplex;
    const bytes: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => bytes.push(chunk));
    socket.write('ping\n');
    await waitFor(() => Buffer.concat(bytes).toString().includes('ping\n'), 'the echo through the handed socket');
    expect(Buffer.concat(bytes).toString()).toBe(`${FAKE_BANNER}ping\n`);

    // A WebSocket client's stream (not raw) still dials back.
    const framed = openFrame(vps.id, 'ssh');
    expect(await service.open(framed)).toEqual({ ok: true });
    expect(host.streamAuthorizations).toEqual(['Bearer join-secret']);

    // No stream waits on the host's side: refused, and the connection is not left open.
    accept = false;
    const unknown = openFrame(vps.id, 'ssh', { raw: true });
    expect(await service.open(unknown)).toMatchObject({ ok: false, code: 'KAWA_ERR_NOT_FOUND' });
    expect(handed).toHaveLength(1);

    // Stopping the runner closes what it handed over.
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await service.close();
    await closed;
  });

  it('closes an ssh stream that sends a text frame with 4400', async () => {
    const { h, host, service } = await setup();
    const vps = await runningVps(h);
    const frame = openFrame(vps.id, 'ssh');
    expect(await service.open(frame)).toEqual({ ok: true });
    const stream = await host.stream(frame.streamId);
    stream.socket.send('{"type":"resize","cols":1,"rows":1}');
    expect(await stream.closed).toEqual({ code: 4400, reason: 'an SSH stream carries binary frames only' });
  });

  it('runs a terminal command in a task and ends with its exit code', async () => {
    const { h, host, service } = await setup();
    const task = await runningTask(h);
    const frame = openFrame(task.id, 'terminal', { command: ['sh', '-c', 'echo hi from $KAWA_TASK_ID; exit 3'] });
    expect(await service.open(frame)).toEqual({ ok: true });
    const stream = await host.stream(frame.streamId);
    expect(await stream.closed).toEqual({ code: 1000, reason: 'exited' });
    expect(stream.bytes().toString()).toContain(`hi from ${task.id}`);
    expect(stream.texts).toEqual([{ type: 'exit', exitCode: 3 }]);
  });

  // Regression test (the host's shells had it): an exec that ends before the runner listens
  // on its stream must still produce the exit frame.
  it('sends exit for a command that ends at once without output', async () => {
    const { h, host, service } = await setup();
    const task = await runningTask(h);
    for (let round = 0; round < 5; round += 1) {
      const frame = openFrame(task.id, 'terminal', { command: ['true'] });
      expect(await service.open(frame)).toEqual({ ok: true });
      const stream = await host.stream(frame.streamId);
      expect(await stream.closed).toEqual({ code: 1000, reason: 'exited' });
      expect(stream.texts).toEqual([{ type: 'exit', exitCode: 0 }]);
      expect(stream.bytes().length).toBe(0);
    }
  });

  it('opens the default shell in a VPS at the asked size, takes input and resizes', async () => {
    const { h, host, service } = await setup();
    const vps = await runningVps(h);
    const frame = openFrame(vps.id, 'terminal', { cols: 100, rows: 30 });
    expect(await service.open(frame)).toEqual({ ok: true });
    const stream = await host.stream(frame.streamId);
    stream.socket.send(Buffer.from('stty size; echo $((6*7))\n'), { binary: true });
    await stream.until('30 100');
    await stream.until('42');
    stream.socket.send(JSON.stringify({ type: 'resize', cols: 90, rows: 20 }));
    stream.socket.send(Buffer.from('stty size; exit 5\n'), { binary: true });
    expect(await stream.closed).toEqual({ code: 1000, reason: 'exited' });
    expect(stream.bytes().toString()).toContain('20 90');
    expect(stream.texts).toEqual([{ type: 'exit', exitCode: 5 }]);
  });

  it('answers a text frame that is not a terminal frame with an error frame and 4400', async () => {
    const { h, host, service } = await setup();
    const task = await runningTask(h);
    const frame = openFrame(task.id, 'terminal', { command: ['sleep', '30'] });
    expect(await service.open(frame)).toEqual({ ok: true });
    const stream = await host.stream(frame.streamId);
    stream.socket.send('not json');
    expect((await stream.closed).code).toBe(4400);
    expect(stream.texts).toEqual([
      {
        type: 'error',
        code: 'KAWA_ERR_BAD_REQUEST',
        message: 'a text frame must be JSON; send terminal input as binary frames',
      },
    ]);
  });

  it('refuses with coded errors, before dialling back: unknown task, ssh to a command task, no-Docker terminal', async () => {
    const { h, host, service } = await setup();
    const task = await runningTask(h);
    expect(await service.open(openFrame(123_456, 'terminal'))).toEqual({
      ok: false,
      code: 'KAWA_ERR_TASK_NOT_FOUND',
      message: `node ${h.nodeName} has no live task 123456`,
    });
    expect(await service.open(openFrame(task.id, 'ssh'))).toMatchObject({ ok: false, code: 'KAWA_ERR_NOT_A_VPS' });
    expect(await service.open(openFrame(NO_DOCKER_TASK, 'terminal'))).toMatchObject({
      ok: false,
      code: 'KAWA_ERR_INVALID_STATE',
      message: expect.stringMatching(/terminals need a Docker task/) as string,
    });
    expect(host.streamAuthorizations).toEqual([]);
  });

  it('reports a refused dial-back with the HTTP status as a code, and a host that never answers as a timeout', async () => {
    const { h, host, service } = await setup({ dialTimeoutMs: 500 });
    const task = await runningTask(h);
    host.refuseStreamsWith = 401;
    expect(await service.open(openFrame(task.id, 'terminal', { command: ['true'] }))).toEqual({
      ok: false,
      code: 'KAWA_ERR_UNAUTHORIZED',
      message: 'the host refused the stream with HTTP 401',
    });
    host.refuseStreamsWith = null;
    host.holdStreams = true;
    expect(await service.open(openFrame(task.id, 'terminal', { command: ['true'] }))).toMatchObject({
      ok: false,
      code: 'KAWA_ERR_RUNNER_TIMEOUT',
    });
  });

  it('closes its open streams with 1001 when the runner stops, and refuses new ones', async () => {
    const { h, host, service } = await setup();
    const task = await runningTask(h);
    const frame = openFrame(task.id, 'terminal', { command: ['sleep', '30'] });
    expect(await service.open(frame)).toEqual({ ok: true });
    const stream = await host.stream(frame.streamId);
    await service.close();
    expect(await stream.closed).toEqual({ code: 1001, reason: 'the runner is stopping' });
    expect(await service.open(openFrame(task.id, 'terminal'))).toMatchObject({
      ok: false,
      code: 'KAWA_ERR_RUNNER_UNAVAILABLE',
    });
  });
});
