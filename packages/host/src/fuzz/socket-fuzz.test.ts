import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  API_PREFIX,
  EventClientFrameSchema,
  MAX_FRAME_BYTES,
  RUNNER_LINK_PATH,
  RunnerFrameSchema,
  TerminalClientFrameSchema,
  TerminalServerFrameSchema,
  errorCodes,
  eventStreamRoute,
} from '@kawa/protocol';
import { submit, taskReaches } from '../testing/api.js';
import { testResources } from '../testing/fake-runner.js';
import { streamFixture, type StreamFixture } from '../testing/stream-fixture.js';
import { createTestHost, listen, type TestHost } from '../testing/test-host.js';
import { runningVps, sshUrl, terminalUrl } from '../testing/vps-api.js';
import { nastyObject, nastyString, nastyValue } from './arbitraries.js';

/**
 * Issue 6, "fuzz": malformed frames at the runner link, the event stream and the SSH and
 * terminal relays, over real WebSockets on loopback. Every refusal is a close whose reason
 * leads with a KAWA_ERR code (or, for terminals, an `error` frame with one), or 1009 for a
 * frame over the size limit (KAWA_ERR_PAYLOAD_TOO_LARGE, docs/protocol.md); the host stays up.
 */

type Frame = { text: string } | { binary: Uint8Array };

const RUNNER_TYPES = ['hello', 'heartbeat', 'task-event', 'task-progress', 'command-result', 'welcome', 'nope', ''];
const RUNNER_KEYS = [
  'name',
  'version',
  'resources',
  'liveTasks',
  'usage',
  'taskId',
  'status',
  'exitCode',
  'message',
  'errorCode',
  'at',
  'progress',
  'requestId',
  'ok',
  'error',
];

const validRunnerFrames: Record<string, unknown>[] = [
  {
    type: 'hello',
    name: 'fuzz',
    version: 'test',
    resources: testResources(),
    liveTasks: [],
  },
  {
    type: 'heartbeat',
    usage: { cpuPercent: 1, memoryUsedBytes: 0, memoryTotalBytes: 1, temperatures: [], gpus: [] },
  },
  { type: 'task-event', taskId: 1, status: 'running', exitCode: null, message: null, errorCode: null, at: 1 },
  {
    type: 'task-progress',
    taskId: 1,
    progress: { what: 'env', phase: 'loading', doneBytes: 0, totalBytes: null },
  },
  { type: 'command-result', requestId: 1, ok: true, error: null },
];

/** Frames of every kind of wrong: not JSON, wrong JSON, wrong types, valid frames with one field broken. */
const textFrame: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom('{', '[', '{"type":', '{"type":"hello"', 'null', '""', '\u0000', '{"type":"hello"}}'),
  nastyValue.map((value) => JSON.stringify(value) ?? 'null'),
  fc
    .record({ type: fc.constantFrom(...RUNNER_TYPES), rest: nastyObject(RUNNER_KEYS) })
    .map(({ type, rest }) => JSON.stringify({ ...rest, type })),
  fc
    .record({
      frame: fc.constantFrom(...validRunnerFrames),
      key: fc.constantFrom(...RUNNER_KEYS, 'type'),
      value: nastyValue,
    })
    .map(({ frame, key, value }) => JSON.stringify({ ...frame, [key]: value })),
);

const frameArbitrary: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 9, arbitrary: textFrame.map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((binary) => ({ binary })) },
);

function isValidJson(text: string, schema: { safeParse(value: unknown): { success: boolean } }): boolean {
  try {
    return schema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}

interface Closed {
  code: number;
  reason: string;
}

function open(url: string, headers: Record<string, string>): Promise<{ socket: WebSocket; closed: Promise<Closed> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const closed = new Promise<Closed>((done) =>
      socket.once('close', (code, reason) => done({ code, reason: reason.toString('utf8') })),
    );
    socket.on('error', () => {});
    socket.once('open', () => resolve({ socket, closed }));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
}

function send(socket: WebSocket, frame: Frame): void {
  if ('text' in frame) socket.send(frame.text);
  else socket.send(frame.binary, { binary: true });
}

function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve) => socket.once('message', (data: Buffer) => resolve(data.toString('utf8'))));
}

/** A close that tells why in Kawa's terms: its reason leads with a code, or it is 1009 (too large). */
function codedClose(closed: Closed): boolean {
  if (closed.code === 1009) return true;
  const code = /^(KAWA_ERR_[A-Z_]+):/.exec(closed.reason)?.[1];
  return code !== undefined && code in errorCodes;
}

async function stillUp(host: TestHost, http: string): Promise<number> {
  const response = await fetch(`${http}${API_PREFIX}/whoami`, { headers: host.admin });
  return response.status;
}

describe('fuzz: malformed frames at the runner link and the event stream', () => {
  let host: TestHost;
  afterEach(() => host.close());

  it('closes the runner link on 250 malformed frames, each with 4400 and KAWA_ERR_PROTOCOL', async () => {
    host = createTestHost();
    const { http, ws } = await listen(host);
    const url = `${ws}${RUNNER_LINK_PATH}`;
    const failures: string[] = [];
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(frameArbitrary, fc.boolean(), async (frame, afterHello) => {
        if ('text' in frame) fc.pre(!isValidJson(frame.text, RunnerFrameSchema));
        const link = await open(url, host.join);
        if (afterHello) {
          const welcome = nextMessage(link.socket);
          link.socket.send(JSON.stringify({ ...validRunnerFrames[0], name: `fuzz-${sent}` }));
          await welcome;
        }
        send(link.socket, frame);
        sent += 1;
        const closed = await link.closed;
        if (closed.code !== 4400 || !closed.reason.startsWith('KAWA_ERR_PROTOCOL:')) {
          failures.push(`${JSON.stringify(frame).slice(0, 200)} → ${closed.code} ${closed.reason}`);
        }
      }),
      { numRuns: 250, seed: 6_2027, endOnFailure: true },
    );
    console.log(`runner-link fuzz: ${sent} malformed frames, ${failures.length} failures`);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(200);

    // Over the size limit: ws closes with 1009 before any parsing.
    const big = await open(url, host.join);
    big.socket.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect((await big.closed).code).toBe(1009);

    expect(await stillUp(host, http)).toBe(200);
    // And a real runner still joins.
    const runner = await open(url, host.join);
    const welcome = nextMessage(runner.socket);
    runner.socket.send(JSON.stringify({ ...validRunnerFrames[0], name: 'after-fuzz' }));
    expect(JSON.parse(await welcome)).toMatchObject({ type: 'welcome' });
    runner.socket.close();
  });

  it('survives 100 frames that are valid but make no sense (unknown tasks, requests, states)', async () => {
    host = createTestHost();
    const { http, ws } = await listen(host);
    const url = `${ws}${RUNNER_LINK_PATH}`;
    const nonsense = fc.oneof(
      fc.record({
        type: fc.constant('task-event'),
        taskId: fc.integer({ min: 1, max: 2 ** 31 }),
        status: fc.constantFrom('syncing', 'running', 'paused', 'completed', 'failed', 'oom', 'killed', 'stopped'),
        exitCode: fc.option(fc.integer()),
        message: fc.option(fc.string({ maxLength: 100 })),
        errorCode: fc.constant(null),
        at: fc.integer({ min: 0 }),
      }),
      fc.record({
        type: fc.constant('command-result'),
        requestId: fc.integer({ min: 1, max: 2 ** 31 }),
        ok: fc.boolean(),
        error: fc.constant(null),
      }),
      fc.record({
        type: fc.constant('task-progress'),
        taskId: fc.integer({ min: 1, max: 2 ** 31 }),
        progress: fc.record({
          what: fc.constantFrom('env', 'image'),
          phase: fc.constantFrom('waiting', 'loading', 'pulling'),
          doneBytes: fc.nat(),
          totalBytes: fc.constant(null),
        }),
      }),
    );
    let link = await open(url, host.join);
    const hello = async (): Promise<void> => {
      const welcome = nextMessage(link.socket);
      link.socket.send(JSON.stringify({ ...validRunnerFrames[0], name: 'nonsense' }));
      await welcome;
    };
    await hello();
    const failures: string[] = [];
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(nonsense, async (frame) => {
        const parsed = RunnerFrameSchema.safeParse(frame);
        fc.pre(parsed.success);
        link.socket.send(JSON.stringify(frame));
        sent += 1;
        // A heartbeat behind it: once the host answers our ping, it has handled the frame.
        await new Promise<void>((resolve) => {
          const socket = link.socket;
          const done = (): void => {
            socket.off('pong', done);
            socket.off('close', done);
            resolve();
          };
          socket.on('pong', done);
          socket.on('close', done);
          socket.ping();
        });
        if (link.socket.readyState !== WebSocket.OPEN) {
          const closed = await link.closed;
          if (!codedClose(closed)) failures.push(`${JSON.stringify(frame)} → ${closed.code} ${closed.reason}`);
          link = await open(url, host.join);
          await hello();
        }
      }),
      { numRuns: 100, seed: 6_2028, endOnFailure: true },
    );
    expect(failures).toEqual([]);
    expect(sent).toBe(100);
    expect(await stillUp(host, http)).toBe(200);
    link.socket.close();
  });

  it('closes the event stream on 60 malformed frames with 4400 and KAWA_ERR_BAD_REQUEST', async () => {
    host = createTestHost();
    const { http, ws } = await listen(host);
    const failures: string[] = [];
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(frameArbitrary, async (frame) => {
        if ('text' in frame) fc.pre(!isValidJson(frame.text, EventClientFrameSchema));
        const stream = await open(`${ws}${eventStreamRoute.path}`, host.admin);
        send(stream.socket, frame);
        sent += 1;
        const closed = await stream.closed;
        if (closed.code !== 4400 || !closed.reason.startsWith('KAWA_ERR_BAD_REQUEST:')) {
          failures.push(`${JSON.stringify(frame).slice(0, 200)} → ${closed.code} ${closed.reason}`);
        }
      }),
      { numRuns: 60, seed: 6_2029, endOnFailure: true },
    );
    expect(failures).toEqual([]);
    expect(sent).toBe(60);
    expect(await stillUp(host, http)).toBe(200);
  });
});

describe('fuzz: malformed frames at the SSH and terminal relays', () => {
  let fixture: StreamFixture;
  afterEach(() => fixture.close());

  it('closes a terminal on 40 malformed text frames and an SSH stream on 20, each with a coded error frame and 4400', async () => {
    fixture = await streamFixture({ streamOpenTimeoutMs: 2_000, streamPingMs: 60_000 });
    const { host, runner, base } = fixture;
    const id = (await submit(host, { command: ['sleep', '99'], image: 'busybox:1' })).taskIds[0] as number;
    await runner.next('task-start');
    runner.report(id, 'running');
    await taskReaches(host, id, 'running');
    const vps = await runningVps(host, runner);

    const textOnly = textFrame.filter((text) => !isValidJson(text, TerminalClientFrameSchema));
    const failures: string[] = [];
    let sent = 0;
    const check = async (url: string, text: string): Promise<void> => {
      const client = await fixture.open(url);
      client.send(text);
      sent += 1;
      const closed = await client.closed;
      const error = client.frames.find((frame) => frame.type === 'error');
      const code = error && 'code' in error ? String(error.code) : '';
      if (closed.code !== 4400 || !(code in errorCodes)) {
        failures.push(`${JSON.stringify(text).slice(0, 200)} → ${closed.code} ${closed.reason} ${code}`);
      }
    };
    await fc.assert(
      fc.asyncProperty(textOnly, (text) => check(terminalUrl(base, id), text)),
      { numRuns: 40, seed: 6_2030, endOnFailure: true },
    );
    // On SSH every text frame is wrong: the stream carries bytes only.
    await fc.assert(
      fc.asyncProperty(nastyString, (text) => check(sshUrl(base, vps.id), text)),
      { numRuns: 20, seed: 6_2031, endOnFailure: true },
    );
    expect(failures).toEqual([]);
    expect(sent).toBe(60);
    const whoami = await host.app.inject({ method: 'GET', url: `${API_PREFIX}/whoami`, headers: host.admin });
    expect(whoami.statusCode).toBe(200);
  });

  it('ends a terminal whose runner sends 30 malformed frames: the client gets KAWA_ERR_PROTOCOL and 1011', async () => {
    fixture = await streamFixture({ streamOpenTimeoutMs: 2_000, streamPingMs: 60_000 });
    const { host, runner, base, streams } = fixture;
    const id = (await submit(host, { command: ['sleep', '99'], image: 'busybox:1' })).taskIds[0] as number;
    await runner.next('task-start');
    runner.report(id, 'running');
    await taskReaches(host, id, 'running');

    const failures: string[] = [];
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        textFrame.filter((text) => !isValidJson(text, TerminalServerFrameSchema)),
        async (text) => {
          const client = await fixture.open(terminalUrl(base, id));
          // Once a byte has made the round trip, the relay runs and the runner's socket is the last one.
          client.send(Buffer.from('x'));
          await client.until(() => client.received === 1, 'the echo');
          const runnerSide = streams.sockets.at(-1)!;
          const runnerClosed = new Promise<number>((resolve) => runnerSide.once('close', (code) => resolve(code)));
          runnerSide.send(text);
          sent += 1;
          const closed = await client.closed;
          const error = client.frames.find((frame) => frame.type === 'error');
          const code = error && 'code' in error ? String(error.code) : '';
          const runnerCode = await runnerClosed;
          if (closed.code !== 1011 || code !== 'KAWA_ERR_PROTOCOL' || runnerCode !== 4400) {
            failures.push(
              `${JSON.stringify(text).slice(0, 200)} → client ${closed.code} ${code}, runner ${runnerCode}`,
            );
          }
        },
      ),
      { numRuns: 30, seed: 6_2033, endOnFailure: true },
    );
    expect(failures).toEqual([]);
    expect(sent).toBe(30);
    const whoami = await host.app.inject({ method: 'GET', url: `${API_PREFIX}/whoami`, headers: host.admin });
    expect(whoami.statusCode).toBe(200);
  });
});
