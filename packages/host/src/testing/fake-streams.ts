import WebSocket from 'ws';
import {
  RUNNER_STREAM_PATH,
  TerminalClientFrameSchema,
  buildPath,
  type ErrorCode,
  type StreamOpenFrame,
  type TerminalServerFrame,
} from '@kawa/protocol';
import type { FakeRunner } from './fake-runner.js';

/**
 * How a fake runner answers `stream-open`:
 * - `echo`: dials back, answers ok, and echoes: SSH bytes as they come; on a terminal, bytes
 *   back, `resized COLSxROWS` (binary) for a resize frame, and `exit\n` ends with an `exit` frame;
 * - `deaf`: as echo, but never answers pings (a dead peer whose TCP stays up);
 * - `silent`: does nothing (the host's dial-back deadline passes);
 * - `refuse`: answers the request with an error and never dials.
 */
export type StreamMode = 'echo' | 'deaf' | 'silent' | 'refuse';

/** What a refusing fake runner answers. */
export const REFUSAL: { code: ErrorCode; message: string } = {
  code: 'KAWA_ERR_DOCKER_FAILED',
  message: 'the test runner refuses streams',
};

/**
 * Dials a stream back as a runner would; rejects with `HTTP <status>` when the host refuses.
 * `onMessage` is attached before the upgrade completes: the host may send the client's early
 * frames right behind its 101 answer.
 */
export function dialBack(
  baseUrl: string,
  streamId: string,
  token: string | null,
  options: { autoPong?: boolean; onMessage?: (socket: WebSocket, data: Buffer, isBinary: boolean) => void } = {},
): Promise<WebSocket> {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${baseUrl}${buildPath(RUNNER_STREAM_PATH, { streamId })}`, {
      headers,
      autoPong: options.autoPong ?? true,
    });
    const { onMessage } = options;
    if (onMessage) socket.on('message', (data: Buffer, isBinary: boolean) => onMessage(socket, data, isBinary));
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => {
      reject(new Error(`HTTP ${response.statusCode}`));
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** The runner half of reverse streams, for a FakeRunner. Every socket it dials is kept. */
export class FakeStreams {
  readonly opened: StreamOpenFrame[] = [];
  readonly sockets: WebSocket[] = [];

  constructor(
    private readonly runner: FakeRunner,
    public mode: StreamMode = 'echo',
  ) {
    runner.onFrame((frame) => {
      if (frame.type === 'stream-open') this.open(frame);
    });
  }

  /** Drops every dialled-back socket without a close frame, like a crashed runner. */
  terminateAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  private open(frame: StreamOpenFrame): void {
    this.opened.push(frame);
    const answer = (error: { code: ErrorCode; message: string } | null): void =>
      this.runner.send({ type: 'command-result', requestId: frame.requestId, ok: error === null, error });
    if (this.mode === 'silent') return;
    if (this.mode === 'refuse') return answer(REFUSAL);
    dialBack(this.runner.baseUrl, frame.streamId, this.runner.token, {
      autoPong: this.mode !== 'deaf',
      onMessage: (socket, data, isBinary) => echo(socket, frame, data, isBinary),
    }).then(
      (socket) => {
        this.sockets.push(socket);
        answer(null);
      },
      (error: unknown) => answer({ code: 'KAWA_ERR_INTERNAL', message: String(error) }),
    );
  }
}

function echo(socket: WebSocket, frame: StreamOpenFrame, data: Buffer, isBinary: boolean): void {
  if (frame.kind === 'ssh' || (isBinary && data.toString('utf8') !== 'exit\n')) {
    socket.send(data, { binary: isBinary });
    return;
  }
  if (isBinary) {
    socket.send(JSON.stringify({ type: 'exit', exitCode: 3 } satisfies TerminalServerFrame));
    socket.close(1000, 'exited');
    return;
  }
  const resize = TerminalClientFrameSchema.parse(JSON.parse(data.toString('utf8')));
  socket.send(Buffer.from(`resized ${resize.cols}x${resize.rows}`), { binary: true });
}
