import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { execPath } from 'node:process';
import type { FastifyBaseLogger } from 'fastify';

/**
 * A small node process that pipes SSH connections whose both ends are sockets in the host's
 * process (the client's `kawa-ssh` connection and, with `kawa up`, the runner's connection to
 * sshd). The host hands it both sockets over IPC. It exists for its heap: every socket read
 * allocates a buffer, and a bulk copy's buffers make V8 collect the whole heap several times a
 * second; in the host that heap is tens of MB, here it is a few, so a copy runs about a tenth
 * faster and takes half the CPU. Same bytes, same order: the 101 first, then nothing to the
 * client before its first byte, then both ways with backpressure; either end closing ends the
 * other after what is in flight.
 */
const RELAY_SOURCE = `'use strict';
const pairs = new Map();
const GRACE_MS = 10000;
const endSoon = (socket) => {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), GRACE_MS).unref();
};
const start = (id, pair) => {
  const { client, vps } = pair;
  let closed = 0;
  const closedOne = () => {
    closed += 1;
    if (closed === 2 && pairs.delete(id) && process.connected) process.send({ type: 'closed', id });
  };
  client.once('close', () => { endSoon(vps); closedOne(); });
  vps.once('close', () => { endSoon(client); closedOne(); });
  client.on('error', () => vps.destroy());
  vps.on('error', () => client.destroy());
  client.write(pair.switching);
  const go = (first) => {
    client.pause();
    if (pair.fromVps.length > 0) client.write(pair.fromVps);
    if (first.length > 0) vps.write(first);
    client.pipe(vps);
    vps.pipe(client);
    client.resume();
  };
  if (pair.fromClient.length > 0) go(pair.fromClient);
  else client.once('data', go);
};
process.on('message', (message, handle) => {
  const pair = pairs.get(message.id) ?? { fromClient: Buffer.alloc(0), fromVps: Buffer.alloc(0) };
  if (message.type === 'cut') {
    pair.client?.destroy();
    pair.vps?.destroy();
    return;
  }
  if (!handle) return;
  pairs.set(message.id, pair);
  handle.setNoDelay(true);
  const pending = Buffer.from(message.pending, 'base64');
  if (message.type === 'client') {
    pair.client = handle;
    pair.fromClient = pending;
    pair.switching = message.switching;
  } else {
    pair.vps = handle;
    pair.fromVps = pending;
  }
  if (pair.client && pair.vps) start(message.id, pair);
});
process.on('disconnect', () => process.exit(0));
`;

/** A pair the relay process pipes. */
export interface RelayedPair {
  /** Cuts both connections at once (revocation, the task ended, the host stops). */
  cut(): void;
  /** Resolves when both connections have closed (or the relay process died). */
  closed: Promise<void>;
}

type InternalSocket = Socket & { _handle: { reading: boolean; readStop(): number } | null };

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Stops `socket` reading from the kernel and takes what it had read already, so that nothing
 * is lost when its descriptor moves to another process: what is still unread stays in the
 * kernel for the relay to read. Null when the socket cannot be detached (no handle).
 */
async function detach(socket: Socket): Promise<Buffer | null> {
  const internal = socket as InternalSocket;
  const taken: Buffer[] = [];
  const take = (chunk: Buffer): void => {
    taken.push(chunk);
  };
  const giveBack = (): null => {
    // Left as it was: what was taken goes back in front, for whoever reads it next.
    if (taken.length > 0) socket.unshift(Buffer.concat(taken));
    return null;
  };
  socket.on('data', take);
  // Explicitly: a socket its owner paused does not flow again just because it has a listener.
  socket.resume();
  await nextTurn();
  const handle = internal._handle;
  if (handle === null || socket.destroyed) {
    socket.off('data', take);
    socket.pause();
    return giveBack();
  }
  handle.reading = false;
  handle.readStop();
  // What was read before the stop arrives within this turn.
  await nextTurn();
  socket.off('data', take);
  socket.pause();
  if (socket.readableLength > 0 || internal._handle === null) return giveBack();
  return Buffer.concat(taken);
}

export class RelayProcess {
  private child: ChildProcess | null = null;
  private nextId = 1;
  private readonly open = new Map<number, () => void>();

  constructor(private readonly log: FastifyBaseLogger) {}

  /**
   * Moves `client` (upgraded, not yet answered) and `vps` (connected to sshd) into the relay
   * process, which answers `switching` and pipes. Null for a TLS connection, or when a socket
   * could not be detached untouched; the caller then pipes them itself.
   */
  async adopt(client: Socket, vps: Socket, switching: string): Promise<RelayedPair | null> {
    // A TLS connection's state lives in this process: only its plain TCP descriptor could move.
    if (client instanceof TLSSocket || vps instanceof TLSSocket) return null;
    const fromClient = await detach(client);
    const fromVps = fromClient === null ? null : await detach(vps);
    if (fromClient === null || fromVps === null) {
      if (fromClient !== null && fromClient.length > 0) client.unshift(fromClient);
      return null;
    }
    const child = this.start();
    const id = this.nextId++;
    let resolveClosed = (): void => undefined;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    this.open.set(id, resolveClosed);
    const send = (message: object, socket: Socket): Promise<void> => {
      // Node tracks a server's socket sent to a child as the child's from then on, and a server's
      // close would then ask a relay process that may be gone. This process keeps counting it:
      // its socket object here stands for the connection until the pair is over.
      (socket as Socket & { server: unknown }).server = null;
      return new Promise((resolve, reject) =>
        child.send(message, socket, { keepOpen: false }, (error: Error | null) => (error ? reject(error) : resolve())),
      );
    };
    try {
      await send({ type: 'client', id, pending: fromClient.toString('base64'), switching }, client);
      await send({ type: 'vps', id, pending: fromVps.toString('base64') }, vps);
    } catch (error) {
      this.log.warn({ err: error }, 'ssh stream: the relay process did not take a connection');
      this.cutById(id);
      this.open.delete(id);
      resolveClosed();
    }
    return { cut: () => this.cutById(id), closed };
  }

  /** Ends the relay process and, with it, every connection it pipes. */
  close(): void {
    const child = this.child;
    this.child = null;
    child?.kill('SIGKILL');
    this.endAll();
  }

  private cutById(id: number): void {
    if (this.open.has(id) && this.child?.connected) this.child.send({ type: 'cut', id });
  }

  private endAll(): void {
    for (const resolve of this.open.values()) resolve();
    this.open.clear();
  }

  private start(): ChildProcess {
    if (this.child !== null && this.child.connected) return this.child;
    const child = spawn(execPath, ['--max-old-space-size=32', '-e', RELAY_SOURCE], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: {},
    });
    child.on('message', (message: { type?: unknown; id?: unknown }) => {
      if (message.type !== 'closed' || typeof message.id !== 'number') return;
      this.open.get(message.id)?.();
      this.open.delete(message.id);
    });
    child.on('error', (error) => this.log.error({ err: error }, 'the ssh relay process failed'));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (this.open.size > 0)
        this.log.warn({ code, signal, streams: this.open.size }, 'the ssh relay process exited; its streams ended');
      this.endAll();
    });
    // It must not keep the host alive, nor outlive it.
    child.unref();
    child.channel?.unref();
    this.child = child;
    return child;
  }
}
