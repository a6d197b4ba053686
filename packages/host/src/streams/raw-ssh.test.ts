import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ErrorBodySchema,
  NewTokenResponseSchema,
  SSH_RAW_UPGRADE,
  buildPath,
  routes,
  type ErrorBody,
  type Task,
} from '@kawa/protocol';
import { submit, taskReaches } from '../testing/api.js';
import type { FakeRunner } from '../testing/fake-runner.js';
import { REFUSAL, type FakeStreams } from '../testing/fake-streams.js';
import { streamFixture, type StreamFixture } from '../testing/stream-fixture.js';
import type { TestHost } from '../testing/test-host.js';
import { runningVps, sshUrl, terminalUrl } from '../testing/vps-api.js';

type Upgraded = { socket: Socket; head: Buffer };
type Refused = { status: number; error: ErrorBody['error'] };

/** Opens a stream route with `Upgrade: kawa-ssh` (or `upgrade`); resolves with the raw socket or the refusal. */
function openRaw(url: string, headers: Record<string, string>, upgrade = SSH_RAW_UPGRADE): Promise<Upgraded | Refused> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url.replace(/^ws/, 'http'), {
      agent: false,
      headers: { ...headers, connection: 'Upgrade', upgrade },
    });
    outgoing.once('upgrade', (response, socket: Socket, head: Buffer) => {
      expect(response.statusCode).toBe(101);
      expect(response.headers.upgrade).toBe(SSH_RAW_UPGRADE);
      resolve({ socket, head });
    });
    outgoing.once('response', (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        const body = ErrorBodySchema.parse(JSON.parse(Buffer.concat(parts).toString('utf8')));
        resolve({ status: response.statusCode ?? 0, error: body.error });
      });
    });
    outgoing.once('error', reject);
    outgoing.end();
  });
}

/** What a raw socket receives, and whether it has closed; every wait is bounded. */
function collect(socket: Socket) {
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const whenClosed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  return {
    bytes: () => Buffer.concat(chunks),
    closed: () => closed,
    whenClosed,
    async until(check: (bytes: Buffer) => boolean, what: string, timeoutMs = 5_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!check(Buffer.concat(chunks))) {
        if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

function upgraded(outcome: Upgraded | Refused): Upgraded {
  if ('socket' in outcome) return outcome;
  throw new Error(`refused: HTTP ${outcome.status} ${outcome.error.code}`);
}

describe('SSH streams over the kawa-ssh upgrade', () => {
  let fixture: StreamFixture;
  let host: TestHost;
  let runner: FakeRunner;
  let streams: FakeStreams;
  let vps: Task;
  const sockets: Socket[] = [];
  const open = async (id: number, headers: Record<string, string> = host.admin): Promise<Upgraded | Refused> => {
    const outcome = await openRaw(sshUrl(fixture.base, id), headers);
    if ('socket' in outcome) sockets.push(outcome.socket);
    return outcome;
  };

  /** Another token of the admin, to revoke without losing the fixture's own. */
  const secondAdminToken = async () => {
    const made = await host.app.inject({
      method: 'POST',
      url: buildPath(routes.createToken.path, { name: 'admin' }),
      headers: host.admin,
    });
    return NewTokenResponseSchema.parse(made.json());
  };

  beforeEach(async () => {
    fixture = await streamFixture({ streamOpenTimeoutMs: 300, streamPingMs: 100, commandTimeoutMs: 1_000 });
    ({ host, runner, streams } = fixture);
    vps = await runningVps(host, runner);
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await fixture.close();
  });

  it('relays unframed bytes both ways through a dialled-back runner', async () => {
    const { socket, head } = upgraded(await open(vps.id));
    expect(head.length).toBe(0);
    const received = collect(socket);
    const sent = randomBytes(3 << 20);
    for (let offset = 0; offset < sent.length; offset += 50_000) socket.write(sent.subarray(offset, offset + 50_000));
    await received.until((bytes) => bytes.length >= sent.length, 'echo of 3 MiB', 10_000);
    expect(received.bytes().equals(sent)).toBe(true);
    expect(streams.opened.map(({ kind, raw }) => ({ kind, raw }))).toEqual([{ kind: 'ssh', raw: true }]);

    // The client leaving closes the runner's socket.
    const runnerSide = streams.sockets.at(-1);
    const runnerClosed = new Promise<void>((resolve) => runnerSide?.once('close', () => resolve()));
    socket.end();
    await runnerClosed;
  });

  it('refuses with plain HTTP coded errors, the runner’s own refusal and its silence included', async () => {
    const refused = async (id: number, headers: Record<string, string> = host.admin) => {
      const outcome = await open(id, headers);
      if ('socket' in outcome) throw new Error('the upgrade went through');
      return outcome;
    };
    expect(await refused(vps.id, {})).toMatchObject({ status: 401, error: { code: 'KAWA_ERR_UNAUTHORIZED' } });
    expect(await refused(vps.id, host.join)).toMatchObject({ status: 403, error: { code: 'KAWA_ERR_FORBIDDEN' } });
    expect(await refused(9999)).toMatchObject({ status: 404, error: { code: 'KAWA_ERR_TASK_NOT_FOUND' } });
    const command = (await submit(host, { command: ['sleep', '9'] })).taskIds[0] as number;
    await runner.next('task-start');
    runner.report(command, 'running');
    await taskReaches(host, command, 'running');
    expect(await refused(command)).toMatchObject({ status: 400, error: { code: 'KAWA_ERR_NOT_A_VPS' } });

    streams.mode = 'refuse';
    expect(await refused(vps.id)).toMatchObject({ status: 502, error: REFUSAL });
    streams.mode = 'silent';
    expect(await refused(vps.id)).toMatchObject({ status: 504, error: { code: 'KAWA_ERR_RUNNER_TIMEOUT' } });

    // The terminal is a WebSocket only.
    const terminal = await openRaw(terminalUrl(fixture.base, vps.id), host.admin);
    expect(terminal).toMatchObject({ status: 400, error: { code: 'KAWA_ERR_BAD_REQUEST' } });
    const other = await openRaw(sshUrl(fixture.base, vps.id), host.admin, 'h2c');
    expect(other).toMatchObject({ status: 400, error: { code: 'KAWA_ERR_BAD_REQUEST' } });
  });

  it('ends the client’s connection when the runner vanishes mid-stream', async () => {
    const { socket } = upgraded(await open(vps.id));
    const received = collect(socket);
    socket.write('ping');
    await received.until((bytes) => bytes.length === 4, 'the echo');
    streams.terminateAll();
    await received.whenClosed;
    expect(received.closed()).toBe(true);
  });

  it('cuts an open stream when its token is revoked', async () => {
    const token = await secondAdminToken();
    const { socket } = upgraded(await open(vps.id, { authorization: `Bearer ${token.secret}` }));
    const received = collect(socket);
    socket.write('ping');
    await received.until((bytes) => bytes.length === 4, 'the echo');
    const revoked = await host.app.inject({
      method: 'POST',
      url: buildPath(routes.revokeToken.path, { id: token.token.id }),
      headers: host.admin,
    });
    expect(revoked.statusCode).toBe(200);
    await received.whenClosed;
    expect(received.closed()).toBe(true);
  });

  describe('with the runner in the host’s process', () => {
    let sshd: Server;
    const connections = new Set<Socket>();
    beforeEach(async () => {
      // A stand-in sshd: it greets at once, as sshd does, then echoes.
      sshd = createServer((connection) => {
        connections.add(connection);
        connection.on('error', () => undefined);
        connection.write('SSH-2.0-fake\r\n');
        connection.pipe(connection);
      });
      await new Promise<void>((resolve) => sshd.listen(0, '127.0.0.1', resolve));
      const port = (sshd.address() as { port: number }).port;
      streams.mode = 'silent';
      runner.onFrame((frame) => {
        if (frame.type !== 'stream-open') return;
        const tcp = connect(port, '127.0.0.1', () => {
          const taken = host.app.acceptLocalStream(frame.streamId, tcp);
          if (!taken) tcp.destroy();
          runner.send({
            type: 'command-result',
            requestId: frame.requestId,
            ok: taken,
            error: taken ? null : { code: 'KAWA_ERR_NOT_FOUND', message: 'no such stream' },
          });
        });
      });
    });
    afterEach(async () => {
      for (const connection of connections) connection.destroy();
      connections.clear();
      await new Promise<void>((resolve) => sshd.close(() => resolve()));
    });

    it('takes the sshd connection itself, and holds its bytes until the client has spoken', async () => {
      const { socket, head } = upgraded(await open(vps.id));
      const received = collect(socket);
      // sshd greeted at once; none of it may reach a client that has not spoken yet (a proxy that
      // hands the socket to ssh must not have read any of ssh's bytes).
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(head.length + received.bytes().length).toBe(0);
      socket.write('SSH-2.0-client\r\n');
      await received.until((bytes) => bytes.length >= 30, 'the greeting and the echo');
      expect(received.bytes().toString()).toBe('SSH-2.0-fake\r\nSSH-2.0-client\r\n');
      expect(streams.sockets).toHaveLength(0);
    });

    it('cuts a relayed stream when its token is revoked, and when the host stops', async () => {
      const token = await secondAdminToken();
      const { socket } = upgraded(await open(vps.id, { authorization: `Bearer ${token.secret}` }));
      const received = collect(socket);
      socket.write('SSH-2.0-client\r\n');
      await received.until((bytes) => bytes.length >= 30, 'the greeting and the echo');
      await host.app.inject({
        method: 'POST',
        url: buildPath(routes.revokeToken.path, { id: token.token.id }),
        headers: host.admin,
      });
      await received.whenClosed;

      const second = upgraded(await open(vps.id));
      const secondReceived = collect(second.socket);
      second.socket.write('SSH-2.0-client\r\n');
      await secondReceived.until((bytes) => bytes.length >= 30, 'the greeting and the echo');
      await host.close();
      await secondReceived.whenClosed;
    });

    it('refuses a dial-back stream the local way (a WebSocket client), so the runner keeps its socket', async () => {
      const client = await fixture.open(sshUrl(fixture.base, vps.id)).catch((error: unknown) => error);
      // The WebSocket session takes no local end: the runner is told no stream waits for one.
      expect(client).not.toBeInstanceOf(Error);
      const ws = client as Awaited<ReturnType<StreamFixture['open']>>;
      expect(await ws.closed).toMatchObject({ code: 4404 });
    });
  });
});
