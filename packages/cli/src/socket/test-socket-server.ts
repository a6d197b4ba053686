import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TerminalIo, TerminalSignal, TerminalSize } from '../terminal/terminal-io.js';

// Test support for the WebSocket commands (shell, connect, ssh --stdio): a loopback server
// speaking the host's socket routes, and a terminal the test drives.

/** A terminal the test drives: stdin it writes to, a size it changes, signals it sends. */
export function fakeTerminal(tty: boolean, size: TerminalSize | null) {
  const stdin = new PassThrough();
  const rawModes: boolean[] = [];
  if (tty) Object.assign(stdin, { isTTY: true, setRawMode: (mode: boolean) => rawModes.push(mode) });
  let current = size;
  let onResize: (() => void) | undefined;
  let onSignal: ((signal: TerminalSignal) => void) | undefined;
  const terminal: TerminalIo = {
    stdin,
    size: () => current,
    onResize(listener) {
      onResize = listener;
      return () => (onResize = undefined);
    },
    onSignal(listener) {
      onSignal = listener;
      return () => (onSignal = undefined);
    },
  };
  return {
    terminal,
    stdin,
    rawModes,
    resizeTo(next: TerminalSize) {
      current = next;
      onResize?.();
    },
    signal: (name: TerminalSignal) => onSignal?.(name),
    listening: () => ({ resize: onResize !== undefined, signal: onSignal !== undefined }),
  };
}

export interface ShellServer {
  hostUrl: string;
  /** The upgrade requests: path with query, and the Authorization header. */
  requests: { url: string; authorization: string | undefined }[];
  /** Binary input received so far, all sessions together. */
  input(): Buffer;
  /** Text frames received, parsed. */
  frames: unknown[];
  /** Resolves once `predicate` holds for the input received. */
  until(predicate: (input: Buffer) => boolean): Promise<void>;
  close(): Promise<void>;
}

const servers: ShellServer[] = [];

/** Closes every server started since the last call; for afterEach. */
export async function closeShellServers(): Promise<void> {
  for (const server of servers.splice(0)) await server.close();
}

/**
 * A terminal host on 127.0.0.1 speaking the shell contract: `session` handles each socket;
 * `refuse` may answer the upgrade request with plain HTTP instead.
 */
export async function shellServer(
  session: (socket: WebSocket, server: ShellServer) => void,
  refuse?: (request: IncomingMessage) => { status: number; body: unknown } | null,
): Promise<ShellServer> {
  const http = createServer();
  const sockets = new WebSocketServer({ noServer: true });
  const chunks: Buffer[] = [];
  const waiters: (() => void)[] = [];
  const server: ShellServer = {
    hostUrl: '',
    requests: [],
    input: () => Buffer.concat(chunks),
    frames: [],
    until: (predicate) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (predicate(server.input())) resolve();
          else waiters.push(check);
        };
        check();
      }),
    async close() {
      for (const client of sockets.clients) client.terminate();
      await new Promise((resolve) => sockets.close(resolve));
      await new Promise((resolve) => http.close(resolve));
    },
  };
  http.on('upgrade', (request, socket, head) => {
    server.requests.push({ url: request.url ?? '', authorization: request.headers.authorization });
    const refusal = refuse?.(request);
    if (refusal) {
      const body = JSON.stringify(refusal.body);
      socket.end(
        `HTTP/1.1 ${refusal.status} Refused\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    sockets.handleUpgrade(request, socket, head, (socket) => {
      socket.on('message', (data: Buffer, isBinary) => {
        if (isBinary) chunks.push(data);
        else server.frames.push(JSON.parse(data.toString('utf8')));
        for (const waiter of waiters.splice(0)) waiter();
      });
      session(socket, server);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  server.hostUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  servers.push(server);
  return server;
}
