import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from '@fastify/websocket';
import { createWebSocketStream } from 'ws';
import { KawaError, SSH_RAW_UPGRADE } from '@kawa/protocol';
import { newStreamId } from './broker.js';
import { keepAlive } from './keepalive.js';
import type { Relay } from './relay.js';
import type { RelayProcess } from './relay-process.js';
import { openOnRunner, type SessionDeps } from './session.js';
import type { StreamTarget } from './target.js';

export interface RawSessionDeps extends SessionDeps {
  /** Pipes pairs whose both ends are local sockets (`kawa up`) in a process of its own. */
  relayProcess?: RelayProcess;
}

/** After one side has ended, the other gets this long to flush before it is dropped. */
const END_GRACE_MS = 10_000;

/** The answer that switches the connection to unframed SSH bytes. */
const SWITCHING = `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SSH_RAW_UPGRADE}\r\n\r\n`;

/** A coded refusal on a connection the upgrade took over from Fastify: plain HTTP, then close. */
function refuse(client: Socket, error: KawaError): void {
  if (client.destroyed) return;
  const body = JSON.stringify(error.toBody());
  client.end(
    `HTTP/1.1 ${error.status} ${error.status >= 500 ? 'Unavailable' : 'Refused'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
  setTimeout(() => client.destroy(), END_GRACE_MS).unref();
}

/** Ends `side` gently (what was written still goes), and drops it if it does not close in time. */
function endSoon(side: Duplex): void {
  if (side.destroyed) return;
  side.end();
  setTimeout(() => side.destroy(), END_GRACE_MS).unref();
}

/**
 * Pipes the client's connection and the VPS's end both ways, with backpressure (pipe pauses a
 * source whose destination is full). Nothing goes to the client before its first byte: a proxy
 * that hands the socket to ssh (ProxyUseFdpass) must not have read any of it. Either side ending
 * ends the other after what is in flight; a broken side drops the other.
 */
function pipeRaw(client: Socket, vps: Duplex, head: Buffer): void {
  const start = (first: Buffer): void => {
    vps.write(first);
    client.pipe(vps);
    vps.pipe(client);
  };
  if (head.length > 0) start(head);
  else {
    const onFirst = (chunk: Buffer): void => {
      client.pause();
      start(chunk);
      client.resume();
    };
    client.once('data', onFirst);
    // It may have been paused (a hand-off to the relay process that fell through).
    client.resume();
  }
  client.once('close', () => endSoon(vps));
  vps.once('close', () => endSoon(client));
  client.on('error', () => vps.destroy());
  vps.on('error', () => client.destroy());
}

/**
 * One `kawa-ssh` upgrade of vpsSsh: the route's checks passed and the connection is ours. Asks
 * the VPS's runner for its end (`stream-open` with `raw`), which arrives as a dial-back WebSocket
 * (a runner elsewhere) or as the sshd connection itself (the runner in this process); answers 101
 * once it has, and pipes. Any failure before that is a coded HTTP answer, as a WebSocket's is.
 */
export function runRawSshSession(client: Socket, head: Buffer, target: StreamTarget, deps: RawSessionDeps): void {
  const streamId = newStreamId();
  let vps: Duplex | null = null;
  /** The runner's end is the sshd connection itself, handed over in this process. */
  let local = false;
  let stopPinging = (): void => undefined;
  let answered = false;
  let phase: 'opening' | 'relaying' | 'over' = 'opening';

  const fail = (error: KawaError): void => {
    if (phase !== 'opening') return;
    phase = 'over';
    deps.broker.cancel(streamId);
    stopPinging();
    vps?.destroy();
    refuse(client, error);
  };
  /** Both ends are sockets here: the relay process pipes them, or, failing that, this one. */
  const handOff = async (end: Socket, relayProcess: RelayProcess): Promise<void> => {
    client.setNoDelay(true);
    client.setKeepAlive(true, deps.pingMs);
    const pair = await relayProcess.adopt(client, end, SWITCHING).catch((error: unknown) => {
      deps.log.warn({ err: error }, 'ssh stream: the relay process could not take it; piped here');
      return null;
    });
    if (pair === null) return pipeHere(end);
    const untrack = deps.track(target.taskId, { end: () => pair.cut() });
    const onShutdown = (): void => pair.cut();
    deps.shutdown.addEventListener('abort', onShutdown, { once: true });
    // A revoked token destroys the connection it came on: this process's socket stands for it.
    client.once('close', () => pair.cut());
    await pair.closed;
    untrack();
    deps.shutdown.removeEventListener('abort', onShutdown);
    client.destroy();
    end.destroy();
  };
  const start = (): void => {
    if (phase !== 'opening' || vps === null || !answered) return;
    phase = 'relaying';
    if (local && head.length === 0 && deps.relayProcess !== undefined) {
      void handOff(vps as Socket, deps.relayProcess);
      return;
    }
    pipeHere(vps);
  };
  const pipeHere = (end: Duplex): void => {
    const relay: Relay = {
      end: () => {
        client.destroy();
        end.destroy();
      },
    };
    const untrack = deps.track(target.taskId, relay);
    const onShutdown = (): void =>
      relay.end({ client: { code: 1001, reason: '' }, runner: { code: 1001, reason: '' } });
    deps.shutdown.addEventListener('abort', onShutdown, { once: true });
    let closed = 0;
    const closedOne = (): void => {
      closed += 1;
      if (closed < 2) return;
      untrack();
      stopPinging();
      deps.shutdown.removeEventListener('abort', onShutdown);
    };
    client.once('close', closedOne);
    end.once('close', closedOne);
    client.setNoDelay(true);
    client.setKeepAlive(true, deps.pingMs);
    client.write(SWITCHING);
    pipeRaw(client, end, head);
  };

  const onAbort = (): void => fail(new KawaError('KAWA_ERR_RUNNER_UNAVAILABLE', 'the host is shutting down'));
  deps.shutdown.addEventListener('abort', onAbort, { once: true });
  client.once('close', () => {
    deps.shutdown.removeEventListener('abort', onAbort);
    if (phase !== 'opening') return;
    phase = 'over';
    deps.broker.cancel(streamId);
    stopPinging();
    vps?.destroy();
  });
  client.on('error', (error) => deps.log.debug({ err: error }, 'ssh stream: client socket error'));

  const take = (end: Duplex): void => {
    if (phase !== 'opening') {
      end.destroy();
      return;
    }
    vps = end;
    end.pause();
    end.on('error', (error) => deps.log.debug({ node: target.node, err: error }, 'ssh stream: runner side error'));
    end.once('close', () =>
      fail(new KawaError('KAWA_ERR_RUNNER_UNAVAILABLE', `node ${target.node} closed the stream before it was ready`)),
    );
    start();
  };
  deps.broker.expect(
    streamId,
    {
      joined: (socket: WebSocket) => {
        stopPinging = keepAlive([socket], deps.pingMs);
        take(createWebSocketStream(socket));
      },
      joinedLocal: (socket: Duplex) => {
        local = true;
        take(socket);
      },
      failed: fail,
    },
    deps.openTimeoutMs,
    target.node,
  );

  openOnRunner(target, streamId, true, deps, {
    answered: () => {
      answered = true;
      start();
    },
    failed: fail,
  });
}
