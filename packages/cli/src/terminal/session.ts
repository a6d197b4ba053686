import type { IncomingMessage } from 'node:http';
import WebSocket, { type RawData } from 'ws';
import { errorFromResponse, errorFromWire, hostUnreachable, parseTerminalFrame, resizeFrame } from '@kawa/client';
import type { SocketTarget } from '@kawa/client';
import { KawaError, terminalCloseCodes, type TerminalServerFrame } from '@kawa/protocol';
import type { CliOutput } from '../io.js';
import { signalNumbers, type TerminalIo } from './terminal-io.js';

export interface TerminalSessionOptions {
  /** The terminal route's URL and auth headers, from `client.socket`. */
  target: SocketTarget;
  /** The host's URL, for error messages. */
  baseUrl: string;
  terminal: TerminalIo;
  stdout: CliOutput;
}

/** Above this many unsent bytes, stop reading stdin until the socket catches up (a large paste). */
const MAX_BUFFERED_BYTES = 1 << 20;
/** What an ended pipe sends: Ctrl-D, which a shell on a TTY reads as end of input. */
const END_OF_INPUT = Buffer.from([0x04]);
/** After asking the host to close, how long to wait before dropping the connection. */
const CLOSE_GRACE_MS = 1_000;

/** The failure behind a close that came without an `exit` or `error` frame. */
function closeError(code: number, reason: string, baseUrl: string, socketError: Error | undefined): KawaError {
  const said = reason === '' ? '' : `: ${reason}`;
  if (code === terminalCloseCodes.dockerFailed)
    return new KawaError('KAWA_ERR_DOCKER_FAILED', `the host's Docker Engine failed the terminal${said}`);
  if (code === terminalCloseCodes.refused)
    return new KawaError('KAWA_ERR_BAD_REQUEST', `the host refused the terminal${said}`);
  if (code === 1011)
    return new KawaError('KAWA_ERR_INTERNAL', `the host failed the terminal${said}; its log has the details`);
  if (code === 1000 || code === 1001)
    return new KawaError(
      'KAWA_ERR_INTERNAL',
      `the host closed the terminal without an exit status (close ${code}${said})`,
    );
  return hostUnreachable(
    baseUrl,
    socketError ?? new Error(`connection closed (${code}${said})`),
    'keep a terminal open on',
  );
}

/** An answer to the upgrade request other than 101: the host's error body, as from any route. */
async function refusal(response: IncomingMessage, what: string): Promise<KawaError> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const status = response.statusCode !== undefined && response.statusCode >= 200 ? response.statusCode : 502;
  return errorFromResponse(new Response(Buffer.concat(chunks), { status }), what);
}

/** Binary frames are output; a text frame ends the session with an exit code or an error. */
function handleMessage(
  data: RawData,
  isBinary: boolean,
  socket: WebSocket,
  stdout: CliOutput,
): number | KawaError | null {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  if (isBinary) {
    if (!stdout.write(bytes) && stdout.once) {
      socket.pause();
      stdout.once('drain', () => socket.resume());
    }
    return null;
  }
  let frame: TerminalServerFrame;
  try {
    frame = parseTerminalFrame(bytes.toString('utf8'));
  } catch (error) {
    return error as KawaError;
  }
  if (frame.type === 'error') return errorFromWire(frame);
  const code = frame.exitCode;
  // No code (Docker lost it) or one no process can exit with: still a failure, never success.
  return code !== null && code >= 0 && code <= 255 ? code : 1;
}

/**
 * Sends stdin up the socket: raw mode and resize frames when it is a TTY, Ctrl-D at the end of
 * a pipe. Returns what undoes it, in the order to run (raw mode first).
 */
function pipeInput(socket: WebSocket, terminal: TerminalIo, ended: () => boolean): (() => void)[] {
  const stdin = terminal.stdin;
  const undo: (() => void)[] = [];
  let throttled = false;
  const onData = (chunk: Buffer | string): void => {
    socket.send(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, { binary: true }, () => {
      if (throttled && !ended() && socket.bufferedAmount < MAX_BUFFERED_BYTES) {
        throttled = false;
        stdin.resume();
      }
    });
    if (socket.bufferedAmount >= MAX_BUFFERED_BYTES) {
      throttled = true;
      stdin.pause();
    }
  };
  const onEnd = (): void => {
    if (socket.readyState === WebSocket.OPEN) socket.send(END_OF_INPUT, { binary: true });
  };
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  undo.push(() => {
    stdin.removeListener('data', onData);
    stdin.removeListener('end', onEnd);
    stdin.pause();
  });
  if (stdin.isTTY === true && typeof stdin.setRawMode === 'function') {
    undo.push(
      terminal.onResize(() => {
        const size = terminal.size();
        if (size && socket.readyState === WebSocket.OPEN) socket.send(resizeFrame(size.cols, size.rows));
      }),
    );
    stdin.setRawMode(true);
    undo.push(() => stdin.setRawMode?.(false));
  }
  stdin.resume();
  return undo.reverse();
}

/**
 * An interactive session on a terminal WebSocket, as `docker exec -it` gives one. stdin goes up
 * as binary frames (in raw mode when it is a TTY, so Ctrl-C and Ctrl-D are bytes for the
 * remote shell), output comes down to stdout, and a resized terminal sends a resize frame. A
 * piped stdin is sent as it is, and its end as Ctrl-D. Resolves with the remote command's exit
 * code (128+N after signal N); rejects with a KawaError. The terminal is restored on every path.
 */
export async function runTerminalSession(options: TerminalSessionOptions): Promise<number> {
  const { terminal, stdout, baseUrl, target } = options;
  const socket = new WebSocket(target.url, {
    headers: target.headers,
    perMessageDeflate: false,
    handshakeTimeout: 20_000,
  });
  let opened = false;
  let settled = false;
  let socketError: Error | undefined;
  let undoInput: (() => void)[] = [];
  let undoSignal: () => void = () => undefined;

  const result = new Promise<number>((resolve, reject) => {
    const finish = (outcome: number | KawaError): void => {
      if (settled) return;
      settled = true;
      if (typeof outcome === 'number') resolve(outcome);
      else reject(outcome);
    };
    socket.once('unexpected-response', (request, response) => {
      // The host refused the upgrade with a plain HTTP answer (401, 404, …): its error body says why.
      refusal(response, `GET ${new URL(target.url).pathname}`)
        .then(finish, finish)
        .finally(() => request.destroy());
    });
    socket.on('error', (error) => {
      socketError = error;
      if (!opened) finish(hostUnreachable(baseUrl, error, 'open a terminal on'));
    });
    // Listening from the start: the host may send an `error` frame in the same packet as the upgrade.
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const outcome = handleMessage(data, isBinary, socket, stdout);
      if (outcome === null) return;
      finish(outcome);
      socket.close(1000);
    });
    socket.on('close', (code, reason) => finish(closeError(code, reason.toString('utf8'), baseUrl, socketError)));
    undoSignal = terminal.onSignal((signal) => {
      finish(128 + signalNumbers[signal]);
      socket.close(1000);
    });
    socket.once('open', () => {
      opened = true;
      if (!settled) undoInput = pipeInput(socket, terminal, () => settled);
    });
  });

  try {
    return await result;
  } finally {
    for (const undo of undoInput) undo();
    undoSignal();
    if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    else if (socket.readyState !== WebSocket.CLOSED) {
      socket.close(1000);
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    }
  }
}
