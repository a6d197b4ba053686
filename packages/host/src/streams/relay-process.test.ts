import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { RelayProcess } from './relay-process.js';

const SWITCHING = 'HTTP/1.1 101 Switching Protocols\r\n\r\n';

/** A connected loopback pair: `near` stays in this process (and may be handed over), `far` is the peer. */
async function socketPair(servers: Server[]): Promise<{ near: Socket; far: Socket }> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const far = connect((server.address() as { port: number }).port, '127.0.0.1');
  await new Promise((resolve) => far.once('connect', resolve));
  return { near: await accepted, far };
}

function collect(socket: Socket) {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    bytes: () => Buffer.concat(chunks),
    closed,
    async until(length: number, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (Buffer.concat(chunks).length < length) {
        if (Date.now() > deadline) throw new Error(`only ${Buffer.concat(chunks).length} of ${length} bytes arrived`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

describe('the SSH relay process', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  let relay: RelayProcess | null = null;
  afterEach(async () => {
    relay?.close();
    relay = null;
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });
  const pairs = async () => {
    const client = await socketPair(servers);
    const sshd = await socketPair(servers);
    sockets.push(client.near, client.far, sshd.near, sshd.far);
    return { client, sshd };
  };

  it('answers 101, holds sshd’s bytes until the client speaks, then pipes both ways; nothing read before is lost', async () => {
    relay = new RelayProcess(pino({ level: 'silent' }));
    const { client, sshd } = await pairs();
    const atClient = collect(client.far);
    const atSshd = collect(sshd.far);
    // sshd greets at once, and the host's socket reads it before the hand-off.
    sshd.far.write('SSH-2.0-sshd\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The session pauses the runner's end while the stream opens: a paused socket with bytes
    // already buffered is still taken whole.
    sshd.near.pause();
    expect(sshd.near.readableLength).toBeGreaterThan(0);
    const pair = await relay.adopt(client.near, sshd.near, SWITCHING);
    expect(pair).not.toBeNull();
    // The relay answers the upgrade, and nothing else yet.
    await atClient.until(SWITCHING.length);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(atClient.bytes().toString()).toBe(SWITCHING);

    client.far.write('SSH-2.0-client\r\n');
    await atClient.until(SWITCHING.length + 14);
    await atSshd.until(16);
    expect(atClient.bytes().toString()).toBe(`${SWITCHING}SSH-2.0-sshd\r\n`);
    expect(atSshd.bytes().toString()).toBe('SSH-2.0-client\r\n');

    // Bulk, both ways, byte for byte.
    const up = randomBytes(4 << 20);
    const down = randomBytes(2 << 20);
    client.far.write(up);
    sshd.far.write(down);
    await atSshd.until(16 + up.length);
    await atClient.until(SWITCHING.length + 14 + down.length);
    expect(atSshd.bytes().subarray(16).equals(up)).toBe(true);
    expect(
      atClient
        .bytes()
        .subarray(SWITCHING.length + 14)
        .equals(down),
    ).toBe(true);

    // sshd hangs up: the client's connection ends after what was in flight, and the pair is over.
    sshd.far.end('bye');
    await atClient.closed;
    expect(atClient.bytes().toString().endsWith('bye')).toBe(true);
    await pair?.closed;
  });

  it('keeps client bytes the host had read before the hand-off, in order', async () => {
    relay = new RelayProcess(pino({ level: 'silent' }));
    const { client, sshd } = await pairs();
    const atSshd = collect(sshd.far);
    client.far.write('early ');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pair = await relay.adopt(client.near, sshd.near, SWITCHING);
    client.far.write('late');
    await atSshd.until(10);
    expect(atSshd.bytes().toString()).toBe('early late');
    pair?.cut();
    await pair?.closed;
  });

  it('cuts a pair at once, and ends every pair when it closes or its process dies', async () => {
    relay = new RelayProcess(pino({ level: 'silent' }));
    const first = await pairs();
    const cutPair = await relay.adopt(first.client.near, first.sshd.near, SWITCHING);
    const firstClient = collect(first.client.far);
    const firstSshd = collect(first.sshd.far);
    cutPair?.cut();
    await Promise.all([firstClient.closed, firstSshd.closed, cutPair?.closed]);

    const second = await pairs();
    const secondClient = collect(second.client.far);
    const open = await relay.adopt(second.client.near, second.sshd.near, SWITCHING);
    await secondClient.until(SWITCHING.length);
    relay.close();
    await Promise.all([secondClient.closed, open?.closed]);

    // A new relay process starts on the next hand-off.
    const third = await pairs();
    const thirdSshd = collect(third.sshd.far);
    const again = await relay.adopt(third.client.near, third.sshd.near, SWITCHING);
    third.client.far.write('hello');
    await thirdSshd.until(5);
    again?.cut();
    await again?.closed;
  });
});
