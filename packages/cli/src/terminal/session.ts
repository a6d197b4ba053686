import WebSocket, { type RawData } from 'ws';
import { errorFromWire, parseTerminalFrame, resizeFrame } from '@kawa/client';
import type { SocketTarget } from '@kawa/client';
import type { KawaError, TerminalServerFrame } from '@kawa/protocol';
import type { CliOutput } from '../io.js';
import { openStreamSocket } from '../socket/open-socket.js';
import { closeError } from '../socket/socket-errors.js';
import { closeSocket, forwardInput, frameBytes, writeFrame } from '../socket/socket-pipe.js';
import { signalNumbers, type TerminalIo } from './terminal-io.js';

export interface TerminalSessionOptions {
  /** The terminal route's URL and auth headers, from `client.socket`. */
  target: SocketTarget;
  /** The host's URL, for error messages. */
  baseUrl: string;
  terminal: TerminalIo;
  stdout: CliOutput;
}

/** What an ended pipe sends: Ctrl-D, which a shell on a TTY reads as end of input. */
const END_OF_INPUT = Buffer.from([0x04]);
/** After asking the host to close, how long to wait before dropping the connection. */
const CLOSE_GRACE_MS = 1_000;

/** Binary frames are output; a text frame ends the session with an exit code or an error. */
function handleMessage(
  data: RawData,
  isBinary: boolean,
  socket: WebSocket,
  stdout: CliOutput,
): number | KawaError | null {
  const bytes = frameBytes(data);
  if (isBinary) {
    writeFrame(bytes, socket, stdout);
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
  undo.push(
    forwardInput(socket, stdin, ended, () => {
      if (socket.readyState === WebSocket.OPEN) socket.send(END_OF_INPUT, { binary: true });
    }),
  );
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
  let settled = false;
  let undoInput: (() => void)[] = [];
  let undoSignal: () => void = () => undefined;
  let finish: (outcome: number | KawaError) => void = () => undefined;
  const { socket, lastError } = openStreamSocket(target, baseUrl, 'open a terminal on', (error) => finish(error));

  const result = new Promise<number>((resolve, reject) => {
    finish = (outcome) => {
      if (settled) return;
      settled = true;
      if (typeof outcome === 'number') resolve(outcome);
      else reject(outcome);
    };
    // Listening from the start: the host may send an `error` frame in the same packet as the upgrade.
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const outcome = handleMessage(data, isBinary, socket, stdout);
      if (outcome === null) return;
      finish(outcome);
      socket.close(1000);
    });
    socket.on('close', (code, reason) =>
      finish(
        closeError(
          { code, reason: reason.toString('utf8') },
          baseUrl,
          lastError(),
          'terminal',
          'keep a terminal open on',
        ),
      ),
    );
    undoSignal = terminal.onSignal((signal) => {
      finish(128 + signalNumbers[signal]);
      socket.close(1000);
    });
    socket.once('open', () => {
      if (!settled) undoInput = pipeInput(socket, terminal, () => settled);
    });
  });

  try {
    return await result;
  } finally {
    for (const undo of undoInput) undo();
    undoSignal();
    closeSocket(socket, CLOSE_GRACE_MS);
  }
}
