import WebSocket, { type ClientOptions } from 'ws';
import { hostUnreachable, type SocketTarget } from '@kawa/client';
import type { KawaError } from '@kawa/protocol';
import { refusal } from './socket-errors.js';

/** A stream route's socket, with what its close handler needs to tell a failure apart. */
export interface StreamSocket {
  socket: WebSocket;
  /** Whether the upgrade went through. */
  opened: () => boolean;
  /** The last socket error, which explains a close that follows it. */
  lastError: () => Error | undefined;
}

/**
 * Opens a WebSocket stream route (a terminal, an SSH stream). A refused upgrade, answered with
 * the host's coded HTTP error, and a failure to connect go to `fail`; `doing` words the latter
 * ("open a terminal on"). Messages and closes are the caller's.
 */
export function openStreamSocket(
  target: SocketTarget,
  baseUrl: string,
  doing: string,
  fail: (error: KawaError) => void,
  options: ClientOptions = {},
): StreamSocket {
  const socket = new WebSocket(target.url, {
    headers: target.headers,
    perMessageDeflate: false,
    handshakeTimeout: 20_000,
    ...(target.ca === undefined ? {} : { ca: target.ca }),
    ...options,
  });
  let opened = false;
  let lastError: Error | undefined;
  socket.once('open', () => (opened = true));
  socket.once('unexpected-response', (request, response) => {
    refusal(response, `GET ${new URL(target.url).pathname}`)
      .then(fail, fail)
      .finally(() => request.destroy());
  });
  socket.on('error', (error) => {
    lastError = error;
    if (!opened) fail(hostUnreachable(baseUrl, error, doing));
  });
  return { socket, opened: () => opened, lastError: () => lastError };
}
