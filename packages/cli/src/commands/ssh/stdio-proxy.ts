import type { RawData } from 'ws';
import { errorFromWire, parseTerminalFrame, type SocketTarget } from '@kawa/client';
import type { KawaError } from '@kawa/protocol';
import type { CliOutput } from '../../io.js';
import { openStreamSocket } from '../../socket/open-socket.js';
import { closeError } from '../../socket/socket-errors.js';
import { closeSocket, forwardInput, frameBytes, writeFrame } from '../../socket/socket-pipe.js';

export interface StdioProxyOptions {
  /** The vpsSsh route's URL and auth headers, from `client.socket`. */
  target: SocketTarget;
  baseUrl: string;
  /** What ssh writes to the proxy: the client's side of the SSH connection. */
  input: NodeJS.ReadableStream;
  /** Where the server's side goes back to ssh. */
  output: CliOutput;
}

/** Closes that end a stream normally: sshd hung up, or the host went away politely. */
const NORMAL_CLOSES = new Set([1000, 1001, 1005]);
/** After ssh hangs up, how long to wait for the host to confirm the close. */
const CLOSE_GRACE_MS = 2_000;

/**
 * `kawa ssh --stdio`: the bytes of one SSH connection between stdin/stdout and the host's
 * vpsSsh WebSocket, as ssh's ProxyCommand expects. Resolves when either side ends; rejects
 * with a KawaError for a refused upgrade (no token, not a VPS, …), an `error` frame, or a close
 * with an error code. Nothing is ever written to `output` but the server's bytes.
 */
export async function runStdioProxy(options: StdioProxyOptions): Promise<void> {
  const { target, baseUrl, input, output } = options;
  let settled = false;
  let inputEnded = false;
  let undoInput: () => void = () => undefined;
  let finish: (error?: KawaError) => void = () => undefined;
  const { socket, opened, lastError } = openStreamSocket(
    target,
    baseUrl,
    'open an SSH stream on',
    (error) => finish(error),
    {
      // Client frames must carry a mask key. Masking keeps a browser's scripts from making bytes
      // that a proxy on the way could take for HTTP; this payload is SSH ciphertext no script
      // chooses. A zero key makes masking (here) and unmasking (on the host) no-ops, which are
      // otherwise a byte-by-byte XOR in JavaScript and the slowest step of a bulk copy.
      generateMask: (mask: Buffer) => mask.fill(0),
    },
  );

  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve();
      else reject(error);
    };
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = frameBytes(data);
      if (isBinary) return writeFrame(bytes, socket, output);
      // A text frame is a control frame: an error ends the stream with its code.
      try {
        const frame = parseTerminalFrame(bytes.toString('utf8'));
        finish(frame.type === 'error' ? errorFromWire(frame) : undefined);
      } catch (error) {
        finish(error as KawaError);
      }
      socket.close(1000);
    });
    socket.on('close', (code, reason) => {
      if (inputEnded || (opened() && NORMAL_CLOSES.has(code))) return finish();
      finish(
        closeError(
          { code, reason: reason.toString('utf8') },
          baseUrl,
          lastError(),
          'SSH stream',
          'keep an SSH stream open on',
        ),
      );
    });
    socket.once('open', () => {
      if (settled) return;
      undoInput = forwardInput(
        socket,
        input,
        () => settled,
        () => {
          // ssh closed its side: the connection is over once what was sent has gone.
          inputEnded = true;
          socket.close(1000);
          setTimeout(() => finish(), CLOSE_GRACE_MS);
        },
      );
    });
  });

  try {
    await done;
  } finally {
    undoInput();
    closeSocket(socket, CLOSE_GRACE_MS);
  }
}
