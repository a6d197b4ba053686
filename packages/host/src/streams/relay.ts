import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import { KawaError, type StreamKind } from '@kawa/protocol';
import { closeReason, isForwardableCloseCode } from './close-codes.js';
import { asBuffer, clientFrameProblem, errorFrame, runnerFrameProblem, type StreamFrame } from './frames.js';
import { keepAlive } from './keepalive.js';

/** Reading from one side stops while this much waits to go to the other, and resumes below LOW. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 * 1024;
/** How long a closing socket has to answer the close frame before it is cut. */
const CLOSE_GRACE_MS = 2_000;

export interface RelayOptions {
  kind: StreamKind;
  node: string;
  log: FastifyBaseLogger;
  /** Both sockets are pinged this often; one that missed the last pong is cut. */
  pingMs: number;
  /** Called once, when both sockets are closing. */
  onEnd(): void;
}

/** How the host ends a stream itself; `error` goes to the client as an `error` frame first. */
export interface StreamEnd {
  client: { code: number; reason: string; error?: KawaError };
  runner: { code: number; reason: string };
}

export interface Relay {
  end(how: StreamEnd): void;
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
    socket.close(code, closeReason(reason));
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}

/**
 * Pairs a client's socket with the runner's dialled-back socket and passes every frame on
 * unchanged (binary stays binary, text stays text) after checking it against the protocol.
 * A slow side pauses reading from the other (the TCP window then slows the sender); either
 * side closing closes the other with the same code, and a runner that vanishes (1006) gives
 * the client an `error` frame and 4503. `held` is what each side sent while the stream
 * opened; it goes first, and a side paused for sending too much then reads again once the
 * other has taken it.
 */
export function relay(
  client: WebSocket,
  runner: WebSocket,
  held: { client: readonly StreamFrame[]; runner: readonly StreamFrame[] },
  options: RelayOptions,
): Relay {
  let ending = false;
  const stopPinging = keepAlive([client, runner], options.pingMs);
  const end = (how: StreamEnd): void => {
    if (ending) return;
    ending = true;
    stopPinging();
    if (how.client.error && client.readyState === client.OPEN) client.send(errorFrame(how.client.error));
    closeSocket(client, how.client.code, how.client.reason);
    closeSocket(runner, how.runner.code, how.runner.reason);
    options.onEnd();
  };

  const pass = (from: WebSocket, to: WebSocket, frame: StreamFrame): void => {
    if (ending || to.readyState !== to.OPEN) return;
    to.send(frame.data, { binary: frame.isBinary }, () => {
      if (from.isPaused && to.bufferedAmount < LOW_WATER) from.resume();
    });
    if (to.bufferedAmount > HIGH_WATER && !from.isPaused) from.pause();
  };
  const fromClient = (frame: StreamFrame): void => {
    const problem = clientFrameProblem(options.kind, frame);
    if (!problem) return pass(client, runner, frame);
    end({
      client: { code: 4400, reason: problem.message, error: problem },
      runner: { code: 1000, reason: 'the client sent an invalid frame' },
    });
  };
  const fromRunner = (frame: StreamFrame): void => {
    const problem = runnerFrameProblem(frame);
    if (!problem) return pass(runner, client, frame);
    options.log.warn({ node: options.node, message: problem.message }, 'invalid frame on a runner stream');
    end({
      client: {
        code: 1011,
        reason: 'the runner broke the stream protocol',
        error: new KawaError('KAWA_ERR_PROTOCOL', `node ${options.node} sent an invalid frame on the stream`),
      },
      runner: { code: 4400, reason: problem.message },
    });
  };

  for (const frame of held.runner) fromRunner(frame);
  for (const frame of held.client) fromClient(frame);
  if (!ending && client.isPaused && runner.bufferedAmount < LOW_WATER) client.resume();
  if (!ending && runner.isPaused && client.bufferedAmount < LOW_WATER) runner.resume();
  client.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) =>
    fromClient({ data: asBuffer(data), isBinary }),
  );
  runner.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) =>
    fromRunner({ data: asBuffer(data), isBinary }),
  );

  client.on('close', (code: number, reason: Buffer) => {
    // 1006: the client vanished; the runner is told it went away.
    const forwarded = code === 1005 ? 1000 : isForwardableCloseCode(code) ? code : 1001;
    end({
      client: { code, reason: '' },
      runner: { code: forwarded, reason: reason.toString('utf8') || 'the client closed the stream' },
    });
  });
  runner.on('close', (code: number, reason: Buffer) => {
    const text = reason.toString('utf8');
    if (code === 1005 || isForwardableCloseCode(code)) {
      end({ client: { code: code === 1005 ? 1000 : code, reason: text }, runner: { code, reason: '' } });
      return;
    }
    const broke = new KawaError('KAWA_ERR_RUNNER_UNAVAILABLE', `the stream from node ${options.node} broke`);
    end({ client: { code: 4503, reason: broke.message, error: broke }, runner: { code, reason: '' } });
  });
  for (const socket of [client, runner]) {
    socket.on('error', (error) => options.log.debug({ node: options.node, err: error }, 'stream socket error'));
  }
  return { end };
}
