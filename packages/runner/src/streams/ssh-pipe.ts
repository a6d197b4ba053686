import { connect, type Socket } from 'node:net';
import { KawaError, terminalCloseCodes } from '@kawa/protocol';
import WebSocket, { type RawData } from 'ws';
import type { SshEndpoint } from '../executors/docker/sshd-ready.js';
import type { Logger } from '../logger.js';
import { errorMessage } from '../util/errno.js';
import { closeReason, pumpToSocket, rawBuffer, writeFromSocket } from './socket-bytes.js';

/** A TCP connect to the node's own bridge or loopback answers at once; a slow one means a node in trouble. */
const CONNECT_TIMEOUT_MS = 5_000;
/** An endpoint with another one behind it gets less: the next may well answer. */
const FIRST_TRY_TIMEOUT_MS = 1_000;
/** After the host side closed, sshd gets this long to take the last bytes before the socket is dropped. */
const END_GRACE_MS = 10_000;

/**
 * Connects to the VPS's sshd at the first of `endpoints` that accepts (the container's own
 * address, then the engine's proxy for the port published on 127.0.0.1). Done before the
 * dial-back, so a VPS whose sshd is unreachable is refused with a coded error rather than a
 * stream that closes at once. A paused VPS still accepts (the kernel completes the handshake):
 * its bytes wait until it is resumed, which is what SSH into a paused VPS does.
 */
export async function connectSshd(endpoints: readonly SshEndpoint[]): Promise<Socket> {
  const failures: string[] = [];
  for (const [index, endpoint] of endpoints.entries()) {
    const last = index === endpoints.length - 1;
    try {
      return await connectOne(endpoint, last ? CONNECT_TIMEOUT_MS : FIRST_TRY_TIMEOUT_MS);
    } catch (error) {
      failures.push(`${endpoint.host}:${endpoint.port}: ${errorMessage(error)}`);
    }
  }
  const why = failures.length === 0 ? 'it has no address or published port' : failures.join('; ');
  throw new KawaError('KAWA_ERR_INVALID_STATE', `sshd of the VPS does not accept connections: ${why}`);
}

function connectOne(endpoint: SshEndpoint, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tcp = connect(endpoint);
    const fail = (why: string): void => {
      tcp.destroy();
      reject(new Error(why));
    };
    tcp.setTimeout(timeoutMs, () => fail('no answer in time'));
    tcp.once('error', (error) => fail(error.message));
    tcp.once('connect', () => {
      tcp.setTimeout(0);
      tcp.removeAllListeners('error');
      // Until pipeSsh takes over: an error while the stream is dialled must not crash the runner;
      // pipeSsh sees the connection destroyed.
      tcp.on('error', () => {});
      tcp.setNoDelay(true);
      resolve(tcp);
    });
  });
}

/**
 * Pipes raw bytes between the host's stream socket and sshd's TCP connection, both ways with
 * backpressure. Binary frames only: a text frame is a protocol error (close 4400). Either side
 * closing closes the other: sshd's end closes the socket with 1000, a TCP error with 4502.
 */
export function pipeSsh(socket: WebSocket, tcp: Socket, logger: Logger): void {
  const closeSocket = (code: number, reason: string): void => {
    if (socket.readyState === WebSocket.OPEN) socket.close(code, closeReason(reason));
  };

  if (tcp.destroyed) {
    closeSocket(terminalCloseCodes.dockerFailed, 'the connection to sshd broke while the stream opened');
    return;
  }
  pumpToSocket(tcp, socket);
  tcp.on('end', () => closeSocket(1000, 'sshd closed the connection'));
  tcp.on('error', (error) => {
    logger.debug(`ssh stream: the connection to sshd failed: ${error.message}`);
    closeSocket(terminalCloseCodes.dockerFailed, `the connection to sshd failed: ${error.message}`);
  });
  tcp.on('close', () => closeSocket(1000, 'sshd closed the connection'));

  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      closeSocket(terminalCloseCodes.refused, 'an SSH stream carries binary frames only');
      tcp.destroy();
      return;
    }
    writeFromSocket(socket, tcp, rawBuffer(data));
  });
  socket.on('error', (error) => logger.debug(`ssh stream: ${error.message}`));
  socket.on('close', () => {
    // Let sshd take what was already written, then make sure the connection is gone.
    tcp.end();
    setTimeout(() => tcp.destroy(), END_GRACE_MS).unref();
  });
}
